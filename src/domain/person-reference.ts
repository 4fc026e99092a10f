/**
 * A person's short reference, for people to read out and type (the data protection officer's
 * access history, a subject access request): "JG-" and the first 40 bits of the record's id in
 * Crockford's base 32, in two groups of four, e.g. JG-7K3Q-2M9X. It is derived, not stored, and
 * decodes to a range of ids, so a lookup uses the primary key. Forty bits keep it short; in a very
 * large deployment two records may share one, so a lookup lists every match.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIX = 'JG';

/** The short reference of a person's record id (a uuid). */
export function personReference(id: string): string {
  const bits = BigInt(`0x${id.replace(/-/g, '').slice(0, 10)}`);
  let chars = '';
  for (let i = 7; i >= 0; i -= 1) chars += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return `${PREFIX}-${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/**
 * The range of record ids a reference stands for, or null when the text is not a reference.
 * Accepts any case, spaces or dashes, and the letters people confuse (O for 0, I and L for 1);
 * without the "JG" prefix only when it holds a digit, so an eight-letter name is not read as one.
 */
export function idRangeOfReference(text: string): { from: string; to: string } | null {
  let s = text.toUpperCase().replace(/[\s-]/g, '');
  if (s.startsWith(PREFIX) && s.length === PREFIX.length + 8) s = s.slice(PREFIX.length);
  else if (!/\d/.test(s)) return null;
  s = s.replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{8}$/.test(s)) return null;
  let bits = 0n;
  for (const c of s) bits = (bits << 5n) | BigInt(ALPHABET.indexOf(c));
  const hex = bits.toString(16).padStart(10, '0');
  const head = `${hex.slice(0, 8)}-${hex.slice(8)}`;
  return { from: `${head}00-0000-0000-000000000000`, to: `${head}ff-ffff-ffff-ffffffffffff` };
}
