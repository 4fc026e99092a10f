/**
 * Ethnicity codes used in the DfE Children in Need census and the school census
 * (the 4-letter "main" codes), with labels as published in the CIN schema (with
 * "Black" capitalised, as GOV.UK style and the ONS classification do) and the
 * broad ONS group each belongs to. Disproportionality is reported by broad group,
 * because several detailed codes are too small to compare in one borough.
 */

/** The 4-letter DfE ethnicity codes, in the order the census lists them. */
export const ETHNICITY_CODES = [
  'WBRI',
  'WIRI',
  'WIRT',
  'WOTH',
  'WROM',
  'MWBC',
  'MWBA',
  'MWAS',
  'MOTH',
  'AIND',
  'APKN',
  'ABAN',
  'AOTH',
  'BCRB',
  'BAFR',
  'BOTH',
  'CHNE',
  'OOTH',
  'REFU',
  'NOBT',
] as const;

/** A DfE ethnicity code. */
export type EthnicityCode = (typeof ETHNICITY_CODES)[number];

/** Broad ethnic groups, worded as in the ONS 2021 Census classification, plus a group for unknown or refused. */
export const ETHNICITY_GROUPS = [
  'White',
  'Mixed or multiple ethnic groups',
  'Asian or Asian British',
  'Black, Black British, Caribbean or African',
  'Other ethnic group',
  'Not known or refused',
] as const;

/** A broad ethnic group. */
export type EthnicityGroup = (typeof ETHNICITY_GROUPS)[number];

interface EthnicityEntry {
  readonly label: string;
  readonly group: EthnicityGroup;
}

const ENTRIES: Readonly<Record<EthnicityCode, EthnicityEntry>> = {
  WBRI: { label: 'White British', group: 'White' },
  WIRI: { label: 'White Irish', group: 'White' },
  WIRT: { label: 'Traveller of Irish heritage', group: 'White' },
  WOTH: { label: 'Any other White background', group: 'White' },
  WROM: { label: 'Gypsy/Roma', group: 'White' },
  MWBC: { label: 'White and Black Caribbean', group: 'Mixed or multiple ethnic groups' },
  MWBA: { label: 'White and Black African', group: 'Mixed or multiple ethnic groups' },
  MWAS: { label: 'White and Asian', group: 'Mixed or multiple ethnic groups' },
  MOTH: { label: 'Any other mixed background', group: 'Mixed or multiple ethnic groups' },
  AIND: { label: 'Indian', group: 'Asian or Asian British' },
  APKN: { label: 'Pakistani', group: 'Asian or Asian British' },
  ABAN: { label: 'Bangladeshi', group: 'Asian or Asian British' },
  AOTH: { label: 'Any other Asian background', group: 'Asian or Asian British' },
  BCRB: { label: 'Caribbean', group: 'Black, Black British, Caribbean or African' },
  BAFR: { label: 'African', group: 'Black, Black British, Caribbean or African' },
  BOTH: { label: 'Any other Black background', group: 'Black, Black British, Caribbean or African' },
  // DfE school statistics publish Chinese as its own major group; ONS places it under
  // Asian or Asian British, and population denominators for relative rates come from ONS.
  CHNE: { label: 'Chinese', group: 'Asian or Asian British' },
  OOTH: { label: 'Any other ethnic group', group: 'Other ethnic group' },
  REFU: { label: 'Refused', group: 'Not known or refused' },
  NOBT: { label: 'Information not yet obtained', group: 'Not known or refused' },
};

const CODE_SET: ReadonlySet<string> = new Set(ETHNICITY_CODES);

/** True when the value is one of the DfE ethnicity codes (exact, upper case). */
export function isEthnicityCode(value: unknown): value is EthnicityCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/** Published label for a DfE ethnicity code, or undefined for an unknown code. */
export function ethnicityLabel(code: string): string | undefined {
  return isEthnicityCode(code) ? ENTRIES[code].label : undefined;
}

/** Broad ONS group for a DfE ethnicity code; unknown codes count as "Not known or refused" so no record drops out of a total. */
export function ethnicityGroup(code: string): EthnicityGroup {
  return isEthnicityCode(code) ? ENTRIES[code].group : 'Not known or refused';
}
