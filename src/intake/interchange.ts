/**
 * Interchange format v1: one JSON object per agency record (see docs/formats/interchange-v1.md).
 * The zod schema here is the source of truth; docs/formats/interchange-v1.schema.json is generated
 * from it (a test keeps them equal). Beyond the schema, records are checked for real dates, valid
 * NHS numbers and UPNs, and DfE ethnicity codes, with a reason for each field.
 */
import { z } from 'zod';
import { isEthnicityCode } from '../domain/ethnicity.js';
import { isValidNhsNumber, isValidUpn, normaliseNhsNumber } from '../domain/identifiers.js';
import { parseIsoDate, parseOccurredAt } from './dates.js';
import { MISSING_RISK_GRADINGS, missingDetailLines, type MissingRiskGrading } from './missing-details.js';
import { nulProblems, withoutNul } from './storable.js';
import {
  IDENTIFIER_SCHEMES, OTHER_NAME_KINDS, PERSON_ROLES,
  type FieldProblem, type Grading, type IncomingEvent, type IncomingPersonData, type IntakeRecord,
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
  if (p.dateOfBirth) {
    const d = parseIsoDate(p.dateOfBirth);
    // An impossible date of birth is a typing error in one field: the field is left out and reported,
    // and the rest of the record is kept (as for an invalid NHS number).
    if (d.ok) dateOfBirth = d.date;
    else warnings.push({ field: `${path}.dateOfBirth`, reason: `${d.reason}, so it was left out` });
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
    sex: p.sex ?? 'not_known',
    ethnicity,
    identifiers,
    postcode: p.address?.postcode ? p.address.postcode.toUpperCase().replace(/\s+/g, ' ') : null,
    addressLine: p.address?.line || null,
    borough: p.address?.borough || null,
  };
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
  if (errors.length || !when.ok) return { record: null, errors, warnings, recordId };
  const narrative = [e.narrative?.trim() || null, missingLines.length ? missingLines.join('\n') : null].filter(Boolean).join('\n\n') || null;
  const event: IncomingEvent = {
    code: e.code || null, agencyCode: e.agencyCode || null, occurredAt: when.at, precision: e.precision ?? when.precision,
    summary: e.summary, narrative, place: e.place || null, factorCodes: [...new Set(e.factorCodes ?? [])],
    sensitivity: e.sensitivity ?? 'standard', reliability: e.reliability ?? 'reported', grading, ...provenance,
  };
  return {
    record: { organisationId: r.organisation, sourceSystem: r.sourceSystem, recordId: r.recordId, person, role: r.role ?? 'subject', event, otherPeople },
    errors, warnings, recordId,
  };
}
