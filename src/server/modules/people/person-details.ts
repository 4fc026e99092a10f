/**
 * "Details and where they come from": each shown detail of a person (name, date of birth, sex,
 * ethnicity, current address) with the agency record it came from and when, and its earlier values
 * (person_detail_history, written when an agency's record changes what is shown: identity.person-writer.ts).
 * Person records merged with this one are the same child (`samePersonIds`, the chronology's one rule):
 * their history is shown too, each value naming its agency record and the person record it is held on.
 * Addresses are read through their person_address rows, so a protected address is withheld as on its
 * record's own page. The caller has authorised reading the person (which, by the same rule, opens
 * every record merged with it).
 */
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../../db/database.js';
import { ethnicityLabel, isEthnicityCode } from '../../../domain/ethnicity.js';
import { PRECEDENCE, SHOWN_FIELDS, type ShownField } from '../../../domain/person-details.js';
import type { Actor } from '../../actor.js';
import { recordAccessMany } from '../../audit/record-access.js';
import { refuseRecord } from '../../access.js';
import type { AppContext } from '../../context.js';
import { formatDateOfBirth } from '../../format.js';
import { actorOf, routeOf } from '../../request.js';
import { personReference } from '../../../domain/person-reference.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { canSeeProtectedAddress } from './people.policy.js';
import { getPersonSummary, type PersonSummary } from './people.queries.js';

const FIELD_LABELS: Record<ShownField, string> = {
  name: 'Name', date_of_birth: 'Date of birth', sex: 'Sex', ethnicity: 'Ethnicity', address: 'Current address',
};
const GROUP_WORDS: Record<string, string> = {
  health: 'health', childrens_services: "the local authority's children's services", education: 'education', other: 'any other agency',
};

/** One value a detail has had, as the reader may see it. */
export interface DetailValue {
  text: string;
  organisationName: string | null;
  /** The agency record it came from (its system and id), when it came from one. */
  sourceSystem: string | null;
  sourceRecordId: string | null;
  receivedAt: Date | null;
  changedAt: Date;
  /** The short reference of the merged person record it is held on, when that is not this one. */
  otherRecord: string | null;
}

/** A detail: the value shown now with its source, and earlier values (newest first). */
export interface DetailRow {
  field: ShownField;
  label: string;
  rule: string;
  current: DetailValue | null;
  earlier: DetailValue[];
}

interface HistoryRow {
  person_id: string;
  source_system: string | null;
  source_record_id: string | null;
  field: ShownField;
  value: unknown;
  changed_at: Date;
  source_received_at: Date | null;
  organisation_name: string | null;
  line1: string | null;
  postcode: string | null;
  borough: string | null;
  protected: boolean | null;
  address_org_id: string | null;
  address_org_name: string | null;
}

function valueText(field: ShownField, value: unknown): string {
  if (value === null || value === undefined) return 'Not recorded';
  if (field === 'name') {
    const n = value as { givenNames: string | null; familyName: string | null };
    return [n.givenNames, n.familyName].filter(Boolean).join(' ') || 'Not recorded';
  }
  if (field === 'date_of_birth') {
    const d = value as { date: string; precision: string };
    return formatDateOfBirth(d.date, d.precision === 'day' ? 'exact' : d.precision);
  }
  if (field === 'sex') return String(value).replace('_', ' ').replace(/^./, (c) => c.toUpperCase());
  if (field === 'ethnicity') return (isEthnicityCode(String(value)) ? ethnicityLabel(String(value)) : undefined) ?? String(value);
  return String(value);
}

function ruleOf(field: ShownField): string {
  if (field === 'address') return 'The address in the most recently received agency record.';
  const order = PRECEDENCE[field].map((g) => GROUP_WORDS[g]).join(', then ');
  const precision = field === 'date_of_birth' ? ' A full date comes before a month or year only.' : '';
  return `A recorded value comes before "not recorded"; then ${order}; then the most recent.${precision}`;
}

/** A detail as a person record's page shows it (a protected address withheld unless the reader may see it). */
function shownText(actor: Actor, p: PersonSummary, field: ShownField, isLeadProfessional: boolean): string {
  if (field === 'name') return p.displayName;
  if (field === 'date_of_birth') return p.dateOfBirth ? formatDateOfBirth(p.dateOfBirth, p.dobAccuracy) : 'Not known';
  if (field === 'sex') return valueText('sex', p.sex);
  if (field === 'ethnicity') return p.ethnicity ? valueText('ethnicity', p.ethnicity) : 'Not recorded';
  const current = p.addresses.find((a) => a.validTo === null);
  if (!current) return 'Not recorded';
  return current.protected && !canSeeProtectedAddress(actor, current.recordedByOrganisationId, isLeadProfessional)
    ? `Protected. Ask ${current.recordedByOrganisationName ?? 'the recording agency'} if you need it.`
    : [[current.line1, current.postcode].filter(Boolean).join(', '), current.borough ? `(${current.borough})` : ''].filter(Boolean).join(' ');
}

/**
 * The person's shown details with their sources and history, as this reader may see them: the history of
 * every person record merged with this one (the same child), newest first, each value naming its agency
 * record; a protected address withheld as on its own record's page.
 */
export async function personDetailSources(db: Kysely<Database>, actor: Actor, personId: string) {
  const summary = await getPersonSummary(db, personId);
  if (!summary) return null;
  const records = (await sql<{ person_id: string }>`SELECT person_id FROM ${samePersonIds(db, personId)} g`.execute(db)).rows.map((r) => r.person_id).sort();
  const rows = await db.selectFrom('person_detail_history as h')
    .leftJoin('organisation as o', 'o.id', 'h.organisation_id')
    .leftJoin('source_record as s', 's.id', 'h.source_record_ref')
    .leftJoin('person_address as a', 'a.id', 'h.address_id')
    .leftJoin('organisation as ao', 'ao.id', 'a.recorded_by_organisation_id')
    .select(['h.person_id', 'h.field', 'h.value', 'h.changed_at', 'h.source_received_at', 'o.name as organisation_name', 's.source_system', 's.source_record_id',
      'a.line1', 'a.postcode', 'a.borough', 'a.protected', 'a.recorded_by_organisation_id as address_org_id', 'ao.name as address_org_name'])
    .where('h.person_id', 'in', records)
    .orderBy('h.changed_at', 'desc').orderBy('h.id')
    .execute() as HistoryRow[];
  // The records of this child on which the reader is the lead professional: a protected address is shown
  // to them as on that record's own page (person page: its recorder and the record's lead professional).
  const today = new Date().toISOString().slice(0, 10);
  const leads = actor.kind !== 'user' ? [] : await db.selectFrom('involvement').select(['person_id', 'ended_on'])
    .where('person_id', 'in', records).where('user_id', '=', actor.userId).where('role', '=', 'lead_professional').execute();
  const leadOn = new Set(leads.filter((i) => i.ended_on === null || i.ended_on >= today).map((i) => i.person_id));
  const present = (r: HistoryRow): DetailValue => {
    let text: string;
    if (r.field === 'address') {
      text = r.protected && !canSeeProtectedAddress(actor, r.address_org_id, leadOn.has(r.person_id))
        ? `Protected. Ask ${r.address_org_name ?? 'the recording agency'} if you need it.`
        : [[r.line1, r.postcode].filter(Boolean).join(', '), r.borough ? `(${r.borough})` : ''].filter(Boolean).join(' ') || 'Not recorded';
    } else text = valueText(r.field, r.value);
    return {
      text, organisationName: r.organisation_name, sourceSystem: r.source_system, sourceRecordId: r.source_record_id, receivedAt: r.source_received_at,
      changedAt: r.changed_at, otherRecord: r.person_id === personId ? null : personReference(r.person_id),
    };
  };
  // A detail of a record never chosen again (its one agency's record, or recorded here) is as its person page
  // shows it, from the record's first source: for this record and for every record merged with it.
  const sources = await db.selectFrom('source_record as s').innerJoin('organisation as o', 'o.id', 's.organisation_id')
    .select(['s.person_id', 'o.name', 's.source_system', 's.source_record_id', 's.created_at']).where('s.person_id', 'in', records).orderBy('s.created_at').orderBy('s.id').execute();
  const summaries = new Map([[personId, summary]]);
  for (const id of records) {
    const other = id === personId ? null : await getPersonSummary(db, id);
    if (other) summaries.set(id, other);
  }
  const asShown = (id: string, field: ShownField): DetailValue | null => {
    const p = summaries.get(id);
    if (!p || rows.some((r) => r.person_id === id && r.field === field)) return null;
    const first = sources.find((x) => x.person_id === id);
    return {
      text: shownText(actor, p, field, leadOn.has(id)), organisationName: first?.name ?? null, sourceSystem: first?.source_system ?? null,
      sourceRecordId: first?.source_record_id ?? null, receivedAt: first?.created_at ?? null, changedAt: first?.created_at ?? new Date(0),
      otherRecord: id === personId ? null : personReference(id),
    };
  };
  // The value shown now is this record's own (as its person page shows it); every other value of the child's records
  // is history, newest first.
  const details: DetailRow[] = SHOWN_FIELDS.map((field) => {
    const values = [
      ...rows.filter((r) => r.field === field).map((r) => ({ personId: r.person_id, value: present(r) })),
      ...records.flatMap((id) => { const v = asShown(id, field); return v ? [{ personId: id, value: v }] : []; }),
    ].sort((x, y) => y.value.changedAt.getTime() - x.value.changedAt.getTime());
    const current = values.find((v) => v.personId === personId) ?? null;
    return { field, label: FIELD_LABELS[field], rule: ruleOf(field), current: current?.value ?? null, earlier: values.filter((v) => v !== current).map((v) => v.value) };
  });
  return { id: summary.id, displayName: summary.displayName, details, records };
}

/**
 * GET /people/:personId/details: the page, for anyone who may open the person, logged as a read of the person
 * and, when other records are merged with it, a read of each of them (their history is shown).
 */
export function personDetailsRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<ZodTypeProvider>().get('/people/:personId/details', {
    schema: { params: z.object({ personId: z.string().max(64) }) },
    config: { access: { kind: 'person', action: 'person.read' } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const data = await personDetailSources(ctx.db, actor, request.params.personId);
    if (!data) return refuseRecord(ctx, request, { personId: request.params.personId });
    await recordAccessMany(ctx.db, [data.id, ...data.records.filter((id) => id !== data.id)].map((id) => ({
      actor, action: 'person.read' as const, personId: id, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id,
      detail: id === data.id ? { view: 'details_and_sources' } : { view: 'details_and_sources', mergedWith: data.id },
    })));
    return reply.view('people/views/details.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', person: data, reference: personReference(data.id) });
  });
}
