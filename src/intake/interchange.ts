/**
 * Interchange format v1: one JSON object per agency record (see docs/formats/interchange-v1.md).
 * The zod schema here is the source of truth; docs/formats/interchange-v1.schema.json is generated
 * from it (a test keeps them equal). Beyond the schema, records are checked for real dates, valid
 * NHS numbers and UPNs, and DfE ethnicity codes, with a reason for each field.
 */
import { z } from 'zod';
import { isEthnicityCode } from '../domain/ethnicity.js';
import { isValidNhsNumber, isValidUpn, normaliseNhsNumber } from '../domain/identifiers.js';
import { isGrading, PLACE_KINDS, RELATIONSHIP_KINDS, type PlaceKind } from '../domain/networks/kinds.js';
import { parseDateOfBirth, parseIsoDate, parseOccurredAt } from './dates.js';
import { MISSING_RISK_GRADINGS, missingDetailLines, type MissingRiskGrading } from './missing-details.js';
import { nulProblems, withoutNul } from './storable.js';
import {
  IDENTIFIER_SCHEMES, OTHER_NAME_KINDS, PERSON_ROLES,
  type FieldProblem, type Grading, type IncomingEvent, type IncomingPersonData, type IncomingPlace, type IncomingRelationship,
  type IntakeRecord, type OnlineHandle,
} from './types.js';

/** The value of `format` that names this version. */
export const INTERCHANGE_V1 = 'jigsaw-interchange/1';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

const identifierSchema = z.strictObject({
  scheme: z.enum(IDENTIFIER_SCHEMES).describe('nhs_number and upn are checked with their check digits; uln is 10 digits; pnc_id is YY/NNNNNNNL or YYYY/NNNNNNNL; la_child_id needs its issuer'),
  issuer: z.string().trim().max(10).optional().describe('For la_child_id: the issuing local authority\'s three-digit DfE code (or write the value as 201/CHILD-ID)'),
  value: text(40),
});

/** A shared identifier of a scheme with a known form, normalised; or why it cannot be used. */
function typedIdentifier(id: z.infer<typeof identifierSchema>): { value: string } | { reason: string } {
  const v = id.value.trim().toUpperCase();
  if (id.scheme === 'uln') return /^\d{10}$/.test(v.replace(/\s/g, '')) ? { value: v.replace(/\s/g, '') } : { reason: 'is not a Unique Learner Number (10 digits), so it was not used' };
  if (id.scheme === 'pnc_id') return /^(\d{2}|\d{4})\/\d{1,7}[A-Z]$/.test(v) ? { value: v } : { reason: 'is not a Police National Computer id (such as 01/123456Z), so it was not used' };
  const prefixed = /^(\d{3})\/(.+)$/.exec(v);
  const issuer = id.issuer?.trim() ?? prefixed?.[1];
  const own = prefixed && !id.issuer ? prefixed[2]! : v;
  if (!issuer || !/^\d{3}$/.test(issuer)) return { reason: 'is a local authority child id without its issuer (the authority\'s three-digit code, in issuer or as 201/ID), so it was not used' };
  return { value: `${issuer}/${own}` };
}

const onlineHandleSchema = z.strictObject({
  platform: text(100).describe('The platform (Snapchat, Instagram, a gaming service, ...)'),
  handle: text(200).describe('The account name on the platform'),
});

const placeSchema = z.strictObject({
  kind: z.string().trim().max(40).describe(`One of ${Object.keys(PLACE_KINDS).join(', ')}; another kind leaves the place out, with a warning`),
  name: optionalText(200).describe("The place's name; for an online space, its platform and handle when absent"),
  postcode: optionalText(10),
  ward: optionalText(100),
  borough: optionalText(100),
  platform: optionalText(100).describe('For an online space: the platform'),
  handle: optionalText(200).describe('For an online space: the account or group on the platform'),
}).describe('Where the entry happened, as a place record found again (or created) within the partnership: an online space by its platform and handle, any other place by its kind, name and postcode');

const relationshipSchema = z.strictObject({
  from: text(200).describe('A person of this record, by their recordId'),
  to: text(200).describe('Another person of this record, by their recordId: `to` is `from`\'s friend, rival, suspected exploiter, ...'),
  kind: z.string().trim().max(40).describe(`One of ${Object.keys(RELATIONSHIP_KINDS).join(', ')}; another kind leaves the relationship out, with a warning`),
  grading: z.string().trim().max(10).nullable().optional().describe('3x5x2 source (1-3) and intelligence (A-E) evaluation, such as 2B'),
  validFrom: z.string().max(10).nullable().optional().describe('YYYY-MM-DD: when the relationship began'),
  validTo: z.string().max(10).nullable().optional().describe('YYYY-MM-DD: when it ended (or ends)'),
  sensitivity: z.string().trim().max(20).optional().describe('standard (default) or restricted'),
}).describe('A relationship between two people of the record; the entry is its source, so it is seen by those who see the entry whole');

const personSchema = z.strictObject({
  recordId: text(200).describe("The agency's own id for the person (case number, pupil id, nominal id)"),
  givenNames: optionalText(100),
  familyName: optionalText(100),
  otherNames: z.array(z.strictObject({ kind: z.enum(OTHER_NAME_KINDS), givenNames: optionalText(100), familyName: optionalText(100) })).max(20).optional(),
  dateOfBirth: z.string().max(10).nullable().optional().describe('YYYY-MM-DD'),
  sex: z.enum(['female', 'male', 'not_known']).optional(),
  ethnicity: z.string().max(4).nullable().optional().describe('A DfE four-letter ethnicity code, such as WBRI'),
  identifiers: z.array(identifierSchema).max(20).optional(),
  address: z.strictObject({ line: optionalText(300), postcode: optionalText(10), borough: optionalText(100) }).optional(),
  onlineHandles: z.array(onlineHandleSchema).max(20).optional().describe('Online handles the person uses: each is an online space the person is linked to, with the entry as the source'),
});

const gradingSchema = z.discriminatedUnion('system', [
  z.strictObject({
    system: z.literal('3x5x2'),
    sourceEvaluation: z.enum(['1', '2', '3']).describe('1 reliable, 2 untested, 3 not reliable'),
    intelligenceEvaluation: z.enum(['A', 'B', 'C', 'D', 'E']).describe('A known directly ... E suspected to be false'),
    handlingCode: z.enum(['P', 'C']).describe('P lawful sharing permitted; C lawful sharing permitted with conditions'),
    handlingConditions: optionalText(1000),
  }),
  z.strictObject({
    system: z.literal('5x5x5'),
    sourceEvaluation: z.enum(['A', 'B', 'C', 'D', 'E']),
    intelligenceEvaluation: z.enum(['1', '2', '3', '4', '5']),
    handlingCode: z.enum(['1', '2', '3', '4', '5']),
    handlingConditions: optionalText(1000),
  }),
]);

const eventSchema = z.strictObject({
  code: z.string().trim().max(80).optional().describe('A code from the common vocabulary'),
  agencyCode: z.string().trim().max(80).optional().describe("The agency's own code, mapped by the organisation's code table"),
  occurredAt: z.string().max(40).describe('YYYY-MM-DD, or a date-time with a time zone'),
  precision: z.enum(['time', 'date', 'month', 'approximate']).optional(),
  summary: text(500),
  narrative: z.string().max(20_000).nullable().optional(),
  place: optionalText(300),
  factorCodes: z.array(z.string().max(60)).max(30).optional(),
  sensitivity: z.enum(['standard', 'restricted']).optional(),
  reliability: z.enum(['confirmed', 'reported', 'unverified']).optional(),
  grading: gradingSchema.optional().describe('For intelligence: source and intelligence evaluation and handling code'),
  missing: z.strictObject({
    foundAt: z.string().max(40).optional().describe('When the child was found or came back: YYYY-MM-DD, or a date-time with a time zone'),
    whereFound: optionalText(300),
    whoWith: optionalText(300),
    policeReference: optionalText(60).describe('The police missing person reference; a found report names the missing report\'s'),
    riskGrading: z.enum(Object.keys(MISSING_RISK_GRADINGS) as [MissingRiskGrading, ...MissingRiskGrading[]]).optional(),
  }).optional().describe('For a missing_episode: the episode as the police know it. A report with foundAt completes the child\'s open episode'),
  recordedAt: z.string().max(40).optional().describe('When the entry was first recorded (a date-time with a time zone), as a system moving its records keeps it; the time of the import when absent'),
  correctionReason: optionalText(1000).describe('Why this version of the record corrects the one sent before; "Updated by source system" when absent'),
  restriction: z.strictObject({ contact: text(300), reason: optionalText(1000) }).optional()
    .describe('For a restricted entry: whom other organisations should ask, and why it is restricted; the sending organisation and its source system when absent'),
});

/** One interchange v1 record. */
export const interchangeRecordSchema = z.strictObject({
  format: z.literal(INTERCHANGE_V1).optional(),
  organisation: z.string().uuid('must be the sending organisation\'s id').describe("The sending organisation's Jigsaw id"),
  sourceSystem: text(100),
  recordId: text(200).describe('The id of this record in the source system; the same id with new content supersedes the earlier entry'),
  person: personSchema,
  role: z.enum(PERSON_ROLES).optional().describe("The person's role in the event; subject when absent"),
  event: eventSchema,
  otherPeople: z.array(z.strictObject({ role: z.enum(PERSON_ROLES), person: personSchema })).max(50).optional(),
  place: placeSchema.optional(),
  relationships: z.array(relationshipSchema).max(50).optional(),
});

/** An interchange record as parsed, before the checks that need more than its shape. */
export type InterchangeRecord = z.infer<typeof interchangeRecordSchema>;

/** The JSON Schema published in docs/formats/interchange-v1.schema.json. */
export function interchangeJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://jigsaw.example/formats/interchange-v1.schema.json',
    title: 'Jigsaw interchange format v1: one agency record',
    ...(z.toJSONSchema(interchangeRecordSchema, { target: 'draft-2020-12' }) as Record<string, unknown>),
  };
}

function checkPerson(p: z.infer<typeof personSchema>, path: string, errors: FieldProblem[], warnings: FieldProblem[]): IncomingPersonData {
  let dateOfBirth: string | null = null;
  let dateOfBirthPrecision: 'month' | 'year' | null = null;
  if (p.dateOfBirth) {
    // A full date, or only its month (2011-05) or year (2011), kept at that precision.
    const d = parseDateOfBirth(p.dateOfBirth);
    // An impossible date of birth is a typing error in one field: the field is left out and reported,
    // and the rest of the record is kept (as for an invalid NHS number).
    if (d.ok) {
      dateOfBirth = d.date;
      if (d.precision !== 'day') dateOfBirthPrecision = d.precision;
    } else warnings.push({ field: `${path}.dateOfBirth`, reason: `${d.reason}, so it was left out` });
  }
  let ethnicity: string | null = null;
  if (p.ethnicity) {
    if (isEthnicityCode(p.ethnicity)) ethnicity = p.ethnicity;
    else warnings.push({ field: `${path}.ethnicity`, reason: 'is not a DfE ethnicity code (such as WBRI, MWBC, BAFR), so it was left out' });
  }
  const identifiers: IncomingPersonData['identifiers'] = [];
  (p.identifiers ?? []).forEach((id, i) => {
    // An invalid national identifier is usually a typing error: linking on it would join the wrong
    // child, so it is left out and reported, and the rest of the record is kept.
    if (id.scheme === 'nhs_number') {
      if (isValidNhsNumber(id.value)) identifiers.push({ scheme: 'nhs_number', value: normaliseNhsNumber(id.value)! });
      else warnings.push({ field: `${path}.identifiers.${i}.value`, reason: 'is not a valid NHS number (10 digits with a correct check digit), so it was not used' });
    } else if (id.scheme === 'upn') {
      if (isValidUpn(id.value)) identifiers.push({ scheme: 'upn', value: id.value.trim().toUpperCase() });
      else warnings.push({ field: `${path}.identifiers.${i}.value`, reason: 'is not a valid UPN (13 characters with a correct check letter), so it was not used' });
    } else if (id.scheme === 'uln' || id.scheme === 'pnc_id' || id.scheme === 'la_child_id') {
      const t = typedIdentifier(id);
      if ('value' in t) identifiers.push({ scheme: id.scheme, value: t.value });
      else warnings.push({ field: `${path}.identifiers.${i}.value`, reason: t.reason });
    } else {
      if (id.issuer) warnings.push({ field: `${path}.identifiers.${i}.issuer`, reason: 'is only for a la_child_id, so it was not used' });
      identifiers.push({ scheme: id.scheme, value: id.value });
    }
  });
  return {
    recordId: p.recordId,
    givenNames: p.givenNames || null,
    familyName: p.familyName || null,
    otherNames: (p.otherNames ?? []).filter((n) => n.givenNames || n.familyName)
      .map((n) => ({ kind: n.kind, givenNames: n.givenNames || null, familyName: n.familyName || null })),
    dateOfBirth,
    ...(dateOfBirthPrecision ? { dateOfBirthPrecision } : {}),
    sex: p.sex ?? 'not_known',
    ethnicity,
    identifiers,
    postcode: p.address?.postcode ? p.address.postcode.toUpperCase().replace(/\s+/g, ' ') : null,
    addressLine: p.address?.line || null,
    borough: p.address?.borough || null,
    ...onlineHandlesOf(p.onlineHandles),
  };
}

/** A person's handles, each once (platform and handle compared without case); the key only when there are some. */
function onlineHandlesOf(list: OnlineHandle[] | undefined): { onlineHandles?: OnlineHandle[] } {
  const seen = new Set<string>();
  const handles = (list ?? []).filter((h) => {
    const key = `${h.platform.toLowerCase()}\u0000${h.handle.toLowerCase()}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return handles.length ? { onlineHandles: handles.map((h) => ({ platform: h.platform, handle: h.handle })) } : {};
}

/** Where the entry happened, as a place record; left out with a warning when it cannot be one. */
function checkPlace(p: z.infer<typeof placeSchema> | undefined, warnings: FieldProblem[]): IncomingPlace | null {
  if (!p) return null;
  if (!(p.kind in PLACE_KINDS)) {
    warnings.push({ field: 'place.kind', reason: `"${withoutNul(p.kind)}" is not a kind of place (${Object.keys(PLACE_KINDS).join(', ')}), so the place was left out` });
    return null;
  }
  const kind = p.kind as PlaceKind;
  const platform = p.platform || null;
  const handle = p.handle || null;
  if (kind === 'online' && (!platform || !handle)) {
    warnings.push({ field: platform ? 'place.handle' : 'place.platform', reason: 'is needed for an online space (its platform and handle), so the place was left out' });
    return null;
  }
  if (kind !== 'online' && (platform || handle)) warnings.push({ field: platform ? 'place.platform' : 'place.handle', reason: 'is only for an online space, so it was not used' });
  const name = p.name || (kind === 'online' ? `${platform} ${handle}`.slice(0, 200) : null);
  if (!name) {
    warnings.push({ field: 'place.name', reason: 'is needed for a place that is not online, so the place was left out' });
    return null;
  }
  return {
    kind, name, postcode: p.postcode ? p.postcode.toUpperCase().replace(/\s+/g, ' ') : null, ward: p.ward || null, borough: p.borough || null,
    platform: kind === 'online' ? platform : null, handle: kind === 'online' ? handle : null,
  };
}

/**
 * Relationships between the record's people. A relationship that cannot be stored as sent (an unknown
 * kind, a person the record does not name) is left out with a warning naming its field; the record is kept.
 */
function checkRelationships(list: z.infer<typeof relationshipSchema>[] | undefined, people: Set<string>, warnings: FieldProblem[]): IncomingRelationship[] {
  const out: IncomingRelationship[] = [];
  (list ?? []).forEach((r, i) => {
    const at = `relationships.${i}`;
    const drop = (field: string, reason: string) => warnings.push({ field: `${at}.${field}`, reason: `${reason}, so the relationship was left out` });
    if (!(r.kind in RELATIONSHIP_KINDS)) return drop('kind', `"${withoutNul(r.kind)}" is not a kind of relationship (${Object.keys(RELATIONSHIP_KINDS).join(', ')})`);
    if (!people.has(r.from)) return drop('from', 'names no person of this record (give the recordId of the person or one of otherPeople)');
    if (!people.has(r.to)) return drop('to', 'names no person of this record (give the recordId of the person or one of otherPeople)');
    if (r.from === r.to) return drop('to', 'is the same person as from');
    const sensitivity = r.sensitivity ?? 'standard';
    if (sensitivity !== 'standard' && sensitivity !== 'restricted') return drop('sensitivity', 'must be standard or restricted');
    let grading: string | null = null;
    if (r.grading) {
      if (isGrading(r.grading.toUpperCase())) grading = r.grading.toUpperCase();
      else warnings.push({ field: `${at}.grading`, reason: 'is not a 3x5x2 grading (source 1 to 3 then intelligence A to E, such as 2B), so it was left out' });
    }
    const date = (field: 'validFrom' | 'validTo', value: string | null | undefined): string | null => {
      if (!value) return null;
      // A relationship may be known to end later (bail conditions): only its start must have happened.
      const d = parseIsoDate(value, field === 'validTo' ? '9999-12-31' : undefined);
      if (d.ok) return d.date;
      warnings.push({ field: `${at}.${field}`, reason: `${d.reason}, so it was left out` });
      return null;
    };
    const validFrom = date('validFrom', r.validFrom);
    const validTo = date('validTo', r.validTo);
    if (validFrom && validTo && validTo < validFrom) return drop('validTo', 'is before validFrom');
    out.push({ from: r.from, to: r.to, kind: r.kind, grading, validFrom, validTo, sensitivity });
  });
  return out;
}

function checkGrading(g: z.infer<typeof gradingSchema> | undefined, errors: FieldProblem[]): Grading | null {
  if (!g) return null;
  if (g.system === '3x5x2' && g.handlingCode === 'C' && !g.handlingConditions) {
    errors.push({ field: 'event.grading.handlingConditions', reason: 'must say the conditions when the handling code is C' });
  }
  return { system: g.system, sourceEvaluation: g.sourceEvaluation, intelligenceEvaluation: g.intelligenceEvaluation, handlingCode: g.handlingCode, handlingConditions: g.handlingConditions || null };
}

/**
 * A missing episode's details: only on a missing_episode (or an agency code the code table maps);
 * kept as lines of the narrative, which the missing episodes processor reads back.
 */
function checkMissing(e: z.infer<typeof eventSchema>, errors: FieldProblem[]): string[] {
  const m = e.missing;
  if (!m) return [];
  if (e.code && e.code !== 'missing_episode') {
    errors.push({ field: 'event.missing', reason: 'is only for a missing_episode' });
    return [];
  }
  let found: { at: string; precision: 'date' | 'time' } | null = null;
  if (m.foundAt) {
    const f = parseOccurredAt(m.foundAt);
    if (f.ok) found = f;
    else errors.push({ field: 'event.missing.foundAt', reason: f.reason });
  }
  return missingDetailLines({
    foundAt: found?.at ?? null, foundPrecision: found?.precision, whereFound: m.whereFound || null, whoWith: m.whoWith || null,
    policeReference: m.policeReference || null, riskGrading: m.riskGrading ?? null,
  });
}

/** What an export carries beyond the agency's own fields: when recorded, why corrected, whom to ask. Only keys that were sent. */
function checkProvenance(e: z.infer<typeof eventSchema>, errors: FieldProblem[]): Pick<IncomingEvent, 'recordedAt' | 'correctionReason' | 'restriction'> {
  const out: Pick<IncomingEvent, 'recordedAt' | 'correctionReason' | 'restriction'> = {};
  if (e.recordedAt !== undefined) {
    const r = parseOccurredAt(e.recordedAt);
    if (!r.ok) errors.push({ field: 'event.recordedAt', reason: r.reason });
    else if (r.precision !== 'time') errors.push({ field: 'event.recordedAt', reason: 'must be a date and time with a time zone (2026-03-01T14:30:00Z)' });
    else out.recordedAt = r.at;
  }
  if (e.correctionReason) out.correctionReason = e.correctionReason;
  if (e.restriction) {
    if ((e.sensitivity ?? 'standard') !== 'restricted') errors.push({ field: 'event.restriction', reason: 'is only for an entry whose sensitivity is restricted' });
    else out.restriction = { contact: e.restriction.contact, reason: e.restriction.reason || null };
  }
  return out;
}

/** Checks one parsed JSON value as an interchange v1 record: the record, or every problem with it. */
export function checkInterchangeRecord(value: unknown): { record: IntakeRecord | null; errors: FieldProblem[]; warnings: FieldProblem[]; recordId: string | null } {
  const recordId = typeof (value as { recordId?: unknown })?.recordId === 'string' ? (value as { recordId: string }).recordId : null;
  const parsed = interchangeRecordSchema.safeParse(value);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({
      field: i.path.join('.') || '(record)',
      reason: i.code === 'unrecognized_keys' ? `has fields that are not in the format: ${i.keys.map(withoutNul).join(', ')}` : i.message,
    }));
    return { record: null, errors, warnings: [], recordId };
  }
  const r = parsed.data;
  // The database cannot store a NUL character: name every field that holds one (the schema fixed the shape).
  const errors: FieldProblem[] = nulProblems(r);
  const warnings: FieldProblem[] = [];
  const person = checkPerson(r.person, 'person', errors, warnings);
  const otherPeople = (r.otherPeople ?? []).map((o, i) => ({ role: o.role, person: checkPerson(o.person, `otherPeople.${i}.person`, errors, warnings) }));
  const e = r.event;
  if (!e.code && !e.agencyCode) errors.push({ field: 'event.code', reason: 'give a vocabulary code, or your agency\'s own code in agencyCode' });
  if (e.code && e.agencyCode) errors.push({ field: 'event.agencyCode', reason: 'give either a vocabulary code or an agency code, not both' });
  const when = parseOccurredAt(e.occurredAt);
  if (!when.ok) errors.push({ field: 'event.occurredAt', reason: when.reason });
  const grading = checkGrading(e.grading, errors);
  const missingLines = checkMissing(e, errors);
  const provenance = checkProvenance(e, errors);
  const place = checkPlace(r.place, warnings);
  if (errors.length || !when.ok) return { record: null, errors, warnings, recordId };
  const narrative = [e.narrative?.trim() || null, missingLines.length ? missingLines.join('\n') : null].filter(Boolean).join('\n\n') || null;
  const event: IncomingEvent = {
    code: e.code || null, agencyCode: e.agencyCode || null, occurredAt: when.at, precision: e.precision ?? when.precision,
    // The entry's own words for where it happened; the place record's name when only that was sent.
    summary: e.summary, narrative, place: e.place !== undefined ? e.place || null : place?.name ?? null, factorCodes: [...new Set(e.factorCodes ?? [])],
    sensitivity: e.sensitivity ?? 'standard', reliability: e.reliability ?? 'reported', grading, ...provenance,
  };
  const relationships = checkRelationships(r.relationships, new Set([person.recordId, ...otherPeople.map((o) => o.person.recordId)]), warnings);
  return {
    record: {
      organisationId: r.organisation, sourceSystem: r.sourceSystem, recordId: r.recordId, person, role: r.role ?? 'subject', event, otherPeople,
      // Present only when sent, so records without them hash as they always have.
      ...(place ? { place } : {}), ...(relationships.length ? { relationships } : {}),
    },
    errors, warnings, recordId,
  };
}
