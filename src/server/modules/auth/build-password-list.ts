// Builds common-passwords.txt: `npx tsx src/server/modules/auth/build-password-list.ts`.
// The list is made here, from the passwords that top every published breach analysis and the
// patterns people use to stretch them (a word, a year, a digit run, a symbol). Nothing is
// downloaded. It is deterministic: the same script writes the same file.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The most used passwords and keyboard walks, as they appear in breach corpora.
const TOP = `123456 password 123456789 12345678 12345 qwerty 1234567 111111 1234567890 123123 abc123 1234
password1 iloveyou 1q2w3e4r 000000 qwerty123 zaq12wsx dragon sunshine princess letmein 654321 monkey
27653 1qaz2wsx 123321 qwertyuiop superman asdfghjkl trustno1 football baseball welcome shadow master
696969 michael mustang jennifer 121212 hunter killer batman charlie whatever freedom starwars ninja
azerty passw0rd p@ssw0rd p@ssword pa55word password123 password1234 passwordpassword qwertyuiopasdfghjkl
asdfghjkl123 zxcvbnm zxcvbnm123 qazwsx qazwsxedc 1qazxsw2 q1w2e3r4t5 q1w2e3r4t5y6 1q2w3e4r5t 1q2w3e4r5t6y
qwer1234 asdf1234 zxcv1234 abcd1234 a1b2c3d4 aa123456 abc12345 abcdef abcdefg abcdefgh abcdefghijkl
987654321 9876543210 0987654321 1122334455 112233 11223344 123abc 123qwe 123qweasd 123qweasdzxc
1qaz2wsx3edc qweasdzxc qweasd asdasd asdasdasd qweqwe qweqweqwe zxczxc 1234qwer 12qwaszx 147258369
159753 159357 147258 741852963 789456123 456789 123654 963852741 555555 666666 777777 888888 999999
11111111 22222222 00000000 12341234 12121212 13131313 123123123 321321 qwertyu qwerty1 qwerty12
qwerty1234 qwertyuiop123 iloveyou1 iloveyou2 iloveu loveyou lovely loveme love123 princess1 sunshine1
letmein1 welcome1 welcome123 monkey1 dragon1 master1 football1 baseball1 shadow1 superman1 admin
admin123 administrator root toor changeme changeit default guest test test123 testing user login
secret secret123 pass pass123 pass1234 passwort motdepasse contrasena senha parola salasana wachtwoord`;

// Words people build passwords from: names, places, teams, things they love.
const WORDS = `access account action alexander amanda andrew angel angels anthony apple apples arsenal asdf
ashley aston astonvilla austin autumn babygirl bailey banana bandit barcelona barney bastard bear beautiful
beckham benjamin betty bigdog birdie biscuit blessed blink182 blue bluebird bonnie booboo boston brandon
brighton bristol brooklyn brownie bubbles buddy buster butterfly cameron camille captain cardiff carlos
cassie celtic chameleon charles charlotte chelsea cheese chester chicago chicken chloe chocolate chris
christmas cinderella claire cocacola coffee computer cookie cooper corvette cowboy cricket crystal daisy
dakota dallas daniel danielle darkness david december delta denise dexter diamond digital dolphin donald
doctor dragons dreams eagle eagles edward elephant elizabeth emily england enter everton evolution
falcon family fernando ferrari fire fishing flower flowers forever freddie friends friendship fuckyou
fulham galaxy gandalf garden george ginger girls gladiator golden golf google gordon grace green
guitar gunner gunners hammer hannah happy happiness harley harrypotter heather hello hello123 hockey
holiday home honey horses hottie house iceman internet ireland isabella jackson jacob jaguar james
january jasmine jasper jennifer jessica jesus jesus1 jordan jordan23 joseph joshua july june junior
justin kevin killer kitten kitty knight ladybug lakers lauren leeds leicester lemon leopard liberty
lincoln liverpool london lovers lucky maddie madison maggie magic manchester manutd manunited marina
mark marlboro martin matrix matthew maverick melissa mercedes merlin michelle mickey midnight mike
millie mickeymouse minecraft miranda molly money monday monkeys morgan mother muffin mummy music
nathan newcastle newyork nicholas nicole nirvana nottingham november number october olivia oliver
orange pakistan panther passion patrick peaches peanut pepper pepsi phoenix pokemon poohbear poppy
porsche portsmouth power precious pretty prince purple pussycat qwerty rabbit rachel rainbow ranger
rangers raptor rebecca red redsox robert rocket rockstar rocky ronaldo rosebud rosie ruby runner
samantha samsung sandra sarah saturday scooby scorpion scotland secret september shannon sheffield
silver simpsons skywalker slipknot smokey snoopy snowball soccer sophie southampton sparky spider
spiderman spitfire spring starlight steelers stella steven stoke stupid success summer sunday
sunderland sunflower superstar sweety swansea taylor teddybear tennis thomas thunder tigger tiger
tigers timothy tinkerbell tottenham toyota travis trinity trouble tucker tuesday turtle united valentine
victoria vikings village vincent volcano walker warrior watford westham whatever william williams
willow wilson winner winter wolves wolverhampton xbox360 yamaha yankees yellow zachary zombie
wednesday thursday friday january february march april august spurs villa westbrom hull burnley
norwich palace crystalpalace millwall charlton qpr brentford bournemouth middlesbrough barnsley
hackney lambeth southwark croydon lewisham newham tower hamlets camden islington brixton peckham
birmingham manchestercity manchesterunited mancity liverpoolfc chelseafc arsenalfc tottenhamhotspur
westhamunited leedsunited newcastleunited evertonfc astonvillafc celticfc rangersfc police
policeman officer constable nurse teacher school social socialworker council health doctor hospital
safeguarding children child family welcome welcometo letmeinnow opensesame iloveyouforever
ilovemymum ilovemydad ilovemykids iloveyoubaby mylove myangel mybaby mypassword thisismypassword
noentry nopassword newpassword oldpassword changeme changemenow temporary temp123 office work
workpassword company business enterprise manager management monitor system server network
wireless internet broadband router linksys netgear tplink vodafone virgin talktalk sky skyhd
playstation nintendo xbox fortnite roblox callofduty warcraft starcraft diablo zelda mario
batman123 superman123 spiderman123 ironman hulk thor avengers marvel deadpool wolverine joker
harry hermione potter hogwarts frodo gandalf123 sherlock doctorwho tardis dalek startrek
princesa angelito corazon amor teamo mariposa estrella tequiero
`;

const COLOURS = ['black', 'red', 'blue', 'green', 'white', 'pink', 'purple', 'golden', 'silver', 'dark', 'big', 'little', 'crazy', 'happy', 'sexy', 'super', 'mega', 'hot', 'cool', 'lucky'];
const ANIMALS = ['cat', 'dog', 'dragon', 'tiger', 'bear', 'wolf', 'lion', 'horse', 'fish', 'bird', 'monkey', 'rabbit', 'panther', 'eagle', 'shark', 'snake', 'fox', 'bunny', 'kitty', 'puppy', 'angel', 'devil', 'star', 'moon', 'sun', 'rose', 'boy', 'girl', 'man', 'baby'];
const YEARS: string[] = [];
for (let y = 1950; y <= 2035; y++) YEARS.push(String(y));

// Suffixes and leetspeak are not listed: the checker strips digits and symbols from both ends
// and undoes common substitutions before it looks a password up, so "Arsenal2024!" and
// "4rs3n4l" both count as "arsenal".
function build(): string[] {
  const out = new Set<string>();
  const top = TOP.split(/\s+/).filter(Boolean);
  const words = [...new Set([...WORDS.split(/\s+/), ...top.filter((t) => /^[a-z]+$/.test(t))].filter(Boolean))];
  for (const t of top) out.add(t);
  for (const w of words) {
    out.add(w);
    out.add(`${w}${w}`);
    out.add(`ilove${w}`);
    out.add(`my${w}`);
    out.add(`the${w}`);
  }
  for (const c of COLOURS) for (const a of ANIMALS) out.add(c + a);
  // Digit runs and repeats of every length up to 20.
  for (let n = 4; n <= 20; n++) {
    out.add('1234567890'.repeat(2).slice(0, n));
    out.add('0123456789'.repeat(2).slice(0, n));
    out.add('9876543210'.repeat(2).slice(0, n));
    for (const d of '0123456789') out.add(d.repeat(n));
    out.add('abcdefghijklmnopqrstuvwxyz'.slice(0, n));
  }
  for (const y of YEARS) {
    out.add(y);
    out.add(y + y);
  }
  return [...out].filter((p) => p.length >= 4).sort();
}

/** Where the list lives next to this script. */
export const PASSWORD_LIST_PATH = fileURLToPath(new URL('./common-passwords.txt', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const list = build();
  writeFileSync(PASSWORD_LIST_PATH, `${list.join('\n')}\n`);
  console.log(`common-passwords.txt: ${list.length} entries`);
}
