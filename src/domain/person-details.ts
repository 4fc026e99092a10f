/**
 * A person's shown details (name, date of birth, sex, ethnicity, current address) from the records the
 * agencies hold of them: the latest version each agency's system sent (source_record_version). One pure
 * rule, so the page, the match profile and the history agree on which agency's value is shown.
 *
 * For each field, in this order:
 *  1. a known value beats "not recorded" (and, for ethnicity, a code beats "refused" or "not yet
 *     obtained", which beat nothing); for the date of birth, a full date beats a month, a month beats a year;
 *  2. the source most authoritative for the field (PRECEDENCE: health for date of birth and sex, the
 *     local authority's children's services then education for name and ethnicity); the address takes
 *     no authority: whoever saw the child most recently is most likely right;
 *  3. the most recently received record;
 *  4. (equal times) the source record's id, so the answer never depends on the order records are read.
 */

/** The fields a person shows, each chosen from the agencies' records. */
export const SHOWN_FIELDS = ['name', 'date_of_birth', 'sex', 'ethnicity', 'address'] as const;
export type ShownField = (typeof SHOWN_FIELDS)[number];

/** How precisely a date of birth is known: a full date, or its month or year only. */
export type DatePrecision = 'day' | 'month' | 'year';

/** Organisation kinds grouped as the precedence table names them. */
const SOURCE_GROUP: Record<string, SourceGroup> = {
  gp: 'health', acute_hospital: 'health', community_health: 'health', camhs: 'health',
  childrens_social_care: 'childrens_services', early_help: 'childrens_services',
  school: 'education',
};
type SourceGroup = 'health' | 'childrens_services' | 'education' | 'other';

/** Which kind of source wins each field (first listed wins; unlisted kinds come after, as "other"). */
export const PRECEDENCE: Record<Exclude<ShownField, 'address'>, readonly SourceGroup[]> = {
  name: ['childrens_services', 'education', 'health', 'other'],
  date_of_birth: ['health', 'childrens_services', 'education', 'other'],
  sex: ['health', 'childrens_services', 'education', 'other'],
  ethnicity: ['childrens_services', 'education', 'health', 'other'],
};

/** The group an organisation kind belongs to in the precedence table. */
export function sourceGroupOf(organisationKind: string): SourceGroup {
  return SOURCE_GROUP[organisationKind] ?? 'other';
}

/** One agency's record of the person, as its system last sent it. */
export interface HeldSourceRecord {
  /** The source record (source_record.id). */
  sourceRecordRef: string;
  organisationId: string;
  organisationKind: string;
  /** When this version was received (ISO 8601). */
  receivedAt: string;
  givenNames: string | null;
  familyName: string | null;
  /** YYYY-MM-DD (the first day of the month or year when less precise), or null. */
  dateOfBirth: string | null;
  dateOfBirthPrecision: DatePrecision;
  sex: 'female' | 'male' | 'not_known';
  ethnicity: string | null;
  postcode: string | null;
  addressLine: string | null;
  borough: string | null;
}

/** Where a shown value came from. */
export interface DetailSource {
  sourceRecordRef: string;
  organisationId: string;
  receivedAt: string;
}

export interface ShownName { givenNames: string | null; familyName: string | null }
export interface ShownDateOfBirth { date: string; precision: DatePrecision }
export interface ShownAddress { line: string | null; postcode: string | null; borough: string | null }

/** The value each field shows and the record it came from; null when no agency's record holds one. */
export interface ShownDetails {
  name: { value: ShownName; source: DetailSource } | null;
  date_of_birth: { value: ShownDateOfBirth; source: DetailSource } | null;
  sex: { value: 'female' | 'male'; source: DetailSource } | null;
  ethnicity: { value: string; source: DetailSource } | null;
  address: { value: ShownAddress; source: DetailSource } | null;
}

const PRECISION_RANK: Record<DatePrecision, number> = { day: 3, month: 2, year: 1 };
/** Ethnicity answers that say it is not known: a recorded code beats them, they beat nothing. */
const NOT_KNOWN_ETHNICITY = new Set(['REFU', 'NOBT']);

const sourceOf = (r: HeldSourceRecord): DetailSource => ({ sourceRecordRef: r.sourceRecordRef, organisationId: r.organisationId, receivedAt: r.receivedAt });

/**
 * The record that wins a field: the highest `known` score (0: nothing held, never wins), then the
 * authority of its source (when a table is given), then the newest, then the record id.
 */
function winner(records: HeldSourceRecord[], known: (r: HeldSourceRecord) => number, order?: readonly SourceGroup[]): HeldSourceRecord | null {
  let best: HeldSourceRecord | null = null;
  let bestKey: [number, number, number, string] | null = null;
  for (const r of records) {
    const k = known(r);
    if (k <= 0) continue;
    const key: [number, number, number, string] = [k, order ? -order.indexOf(sourceGroupOf(r.organisationKind)) : 0, Date.parse(r.receivedAt), r.sourceRecordRef];
    if (!bestKey || key[0] > bestKey[0] || (key[0] === bestKey[0] && (key[1] > bestKey[1] || (key[1] === bestKey[1] && (key[2] > bestKey[2] || (key[2] === bestKey[2] && key[3] > bestKey[3])))))) {
      best = r;
      bestKey = key;
    }
  }
  return best;
}

/** Chooses each shown detail from the agencies' records (the rules above). */
export function shownDetails(records: HeldSourceRecord[]): ShownDetails {
  const name = winner(records, (r) => (r.givenNames || r.familyName ? 1 : 0), PRECEDENCE.name);
  const dob = winner(records, (r) => (r.dateOfBirth ? PRECISION_RANK[r.dateOfBirthPrecision] : 0), PRECEDENCE.date_of_birth);
  const sex = winner(records, (r) => (r.sex === 'not_known' ? 0 : 1), PRECEDENCE.sex);
  const ethnicity = winner(records, (r) => (!r.ethnicity ? 0 : NOT_KNOWN_ETHNICITY.has(r.ethnicity) ? 1 : 2), PRECEDENCE.ethnicity);
  const address = winner(records, (r) => (r.postcode || r.addressLine ? 1 : 0));
  return {
    name: name ? { value: { givenNames: name.givenNames, familyName: name.familyName }, source: sourceOf(name) } : null,
    date_of_birth: dob ? { value: { date: dob.dateOfBirth!, precision: dob.dateOfBirthPrecision }, source: sourceOf(dob) } : null,
    sex: sex ? { value: sex.sex as 'female' | 'male', source: sourceOf(sex) } : null,
    ethnicity: ethnicity ? { value: ethnicity.ethnicity!, source: sourceOf(ethnicity) } : null,
    address: address ? { value: { line: address.addressLine, postcode: address.postcode, borough: address.borough }, source: sourceOf(address) } : null,
  };
}
