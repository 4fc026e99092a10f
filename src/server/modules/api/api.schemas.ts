import { z } from 'zod';
import { isRealIsoDate } from '../chronology/chronology.schemas.js';

const dateText = z.string().nullable();

/** The error body every API failure uses. */
export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string(),
  }),
});

/** A person, as the API returns them. */
export const personSchema = z.object({
  id: z.string().uuid(),
  displayName: z.string(),
  names: z.array(z.object({ kind: z.string(), givenNames: z.string().nullable(), familyName: z.string().nullable(), validFrom: dateText, validTo: dateText })),
  dateOfBirth: dateText,
  dateOfBirthAccuracy: z.string(),
  sex: z.string(),
  ethnicity: z.string().nullable(),
  identifiers: z.array(z.object({ scheme: z.string(), value: z.string() })),
  addresses: z.array(z.object({
    line1: z.string().nullable(), town: z.string().nullable(), postcode: z.string().nullable(), borough: z.string().nullable(), validFrom: dateText, validTo: dateText,
    protected: z.boolean(), askOrganisation: z.string().nullable(),
  })),
  relationships: z.array(z.object({ kind: z.string(), personId: z.string().uuid(), name: z.string() })),
  involvements: z.array(z.object({
    organisation: z.object({ id: z.string().uuid(), name: z.string(), kind: z.string() }),
    team: z.string().nullable(), practitioner: z.string().nullable(), role: z.string(), startedOn: z.string(), endedOn: dateText,
  })),
});

const entryBase = z.object({
  id: z.string().uuid(),
  restricted: z.boolean(),
  withheld: z.enum(['restricted', 'not_shared']).nullable(),
  restrictedContact: z.string().nullable(),
  eventType: z.object({ code: z.string(), label: z.string(), category: z.string(), vocabularyVersion: z.string() }),
  occurredAt: z.string(),
  occurredPrecision: z.string(),
  organisation: z.object({ id: z.string().uuid(), name: z.string(), kind: z.string() }),
  provenance: z.object({
    recordedAt: z.string(), recordedBy: z.string().nullable(), recordedVia: z.string(), sourceSystem: z.string(),
    sourceRecordId: z.string().nullable(), reliability: z.string(),
  }).nullable(),
  summary: z.string().nullable(),
  narrative: z.string().nullable(),
  place: z.string().nullable(),
  factorCodes: z.array(z.string()),
  impliedFactorCodes: z.array(z.string()),
  personRoles: z.array(z.string()),
  correction: z.object({ supersedes: z.string().uuid(), reason: z.string() }).nullable(),
});

/** One chronology entry with the earlier versions it corrected. */
export const entrySchema = entryBase.extend({ earlierVersions: z.array(entryBase.extend({ earlierVersions: z.array(z.unknown()) })) });

/** A page of a chronology. */
export const chronologySchema = z.object({
  entries: z.array(entrySchema),
  page: z.number().int(),
  pageSize: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});

/** The body to record an event through the API. Unknown properties are refused. */
export const recordEventBodySchema = z.strictObject({
  eventTypeCode: z.string().min(1).max(80),
  occurredAt: z.string().max(40).refine(
    (v) => isRealIsoDate(v) || (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && isRealIsoDate(v.slice(0, 10)) && !Number.isNaN(Date.parse(v))),
    'must be an ISO 8601 date-time with a time zone (2026-03-01T14:30:00Z) or a date (2026-03-01)',
  ),
  occurredPrecision: z.enum(['time', 'date', 'month', 'approximate']),
  summary: z.string().trim().min(1, 'must not be empty').max(500),
  narrative: z.string().max(20_000).nullable().optional(),
  place: z.string().max(300).nullable().optional(),
  factorCodes: z.array(z.string().max(60)).max(30).optional(),
  sensitivity: z.enum(['standard', 'restricted']).optional(),
  reliability: z.enum(['confirmed', 'reported', 'unverified']).optional(),
  personRole: z.enum(['subject', 'victim', 'suspect', 'witness', 'associate', 'parent']).optional(),
  sourceSystem: z.string().trim().min(1).max(100),
  sourceRecordId: z.string().max(200).nullable().optional(),
  otherPeople: z.array(z.strictObject({ personId: z.string().uuid(), role: z.enum(['subject', 'victim', 'suspect', 'witness', 'associate', 'parent']) })).max(50).optional(),
  supersedes: z.string().uuid().nullable().optional(),
  correctionReason: z.string().max(2000).nullable().optional(),
  restriction: z.strictObject({
    contact: z.string().trim().min(1).max(300),
    reason: z.string().max(2000).nullable().optional(),
    grantUserIds: z.array(z.string().uuid()).max(50).optional(),
    grantRoles: z.array(z.strictObject({ role: z.enum(['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator']), organisationId: z.string().uuid().nullable() })).max(20).optional(),
  }).nullable().optional(),
});
