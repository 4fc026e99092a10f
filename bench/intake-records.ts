// A borough's first load for the intake benchmark: interchange v1 records (JSON Lines) from one
// children's services organisation, synthetic and deterministic (seeded). About 60% of the records are
// a child's first entry; the rest are further entries about a child already sent (the same case id and
// details) or a record of a child from an older system (another id, with the errors agencies make),
// which identity resolution links, sends to review or keeps apart. Never real people.
import { seededRandom } from '../src/domain/matching/estimate.js';
import { corrupt, makePeople, namePools, type SyntheticPerson } from './identity-synthetic.js';

const EVENTS: [string, string][] = [
  ['referral_to_childrens_social_care', 'Referral received from school about concerns at home'],
  ['assessment_started', 'Child and family assessment started'],
  ['assessment_completed', 'Child and family assessment completed'],
  ['strategy_meeting', 'Strategy meeting held with police and health'],
  ['child_in_need_plan_started', 'Child in need plan agreed with the family'],
  ['missing_episode', 'Reported missing overnight, returned the next morning'],
  ['allocated_worker_changed', 'Case allocated to a new social worker'],
  ['case_closed', 'Case closed after the plan ended'],
];
const ETHNICITIES = ['WBRI', 'BCRB', 'BAFR', 'MWBC', 'AIND', 'APKN', 'WOTH', 'OOTH'];

function personJson(p: { givenNames: string | null; familyName: string | null; dateOfBirth: string | null; sex: string; postcode: string | null; addressLine: string | null; identifiers: { scheme: string; value: string }[] }, recordId: string, ethnicity: string) {
  return {
    recordId, givenNames: p.givenNames, familyName: p.familyName, dateOfBirth: p.dateOfBirth, sex: p.sex, ethnicity,
    identifiers: p.identifiers, address: { line: p.addressLine, postcode: p.postcode, borough: 'Benchborough' },
  };
}

/** `count` interchange records (one JSON object per line) for `organisationId`, the same for the same seed. */
export function firstLoadRecords(organisationId: string, count: number, seed = 11): string[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  let uuid = 0;
  const children: SyntheticPerson[] = makePeople(Math.ceil(count * 0.6), seed, () => `child-${uuid++}`);
  const pools = namePools(seed);
  const ethnicity = children.map(() => ETHNICITIES[int(ETHNICITIES.length)]!);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    let person: Record<string, unknown>;
    let sourceSystem = 'Mosaic';
    if (i < children.length) {
      person = personJson(children[i]!, `CASE-${i}`, ethnicity[i]!);
    } else {
      const j = int(children.length);
      if (random() < 0.65) person = personJson(children[j]!, `CASE-${j}`, ethnicity[j]!);
      else { sourceSystem = 'CareFirst'; person = personJson(corrupt(children[j]!, random, pools), `CF-${i}`, ethnicity[j]!); }
    }
    const [code, summary] = EVENTS[int(EVENTS.length)]!;
    const day = new Date(Date.UTC(2024, 0, 1) + int(900) * 86_400_000).toISOString().slice(0, 10);
    lines.push(JSON.stringify({
      format: 'jigsaw-interchange/1', organisation: organisationId, sourceSystem, recordId: `${sourceSystem}-E${i}`,
      person, event: { code, occurredAt: day, summary, ...(random() < 0.3 ? { place: 'Benchborough' } : {}) },
    }));
  }
  // Agencies export in their own order, not child by child: a deterministic shuffle.
  for (let i = lines.length - 1; i > 0; i -= 1) {
    const k = int(i + 1);
    [lines[i], lines[k]] = [lines[k]!, lines[i]!];
  }
  return lines;
}
