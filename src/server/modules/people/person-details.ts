/**
 * "Details and where they come from": each shown detail of a person (name, date of birth, sex,
 * ethnicity, current address) with the agency record it came from and when, and its earlier values
 * (person_detail_history, written when an agency's record changes what is shown: identity.person-writer.ts).
 * Addresses are read through their person_address rows, so a protected address is withheld as on the
 * person page. The caller has authorised reading the person.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../../db/database.js';
import { ethnicityLabel, isEthnicityCode } from '../../../domain/ethnicity.js';
import { PRECEDENCE, SHOWN_FIELDS, type ShownField } from '../../../domain/person-details.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { refuseRecord } from '../../access.js';
import type { AppContext } from '../../context.js';
import { formatDateOfBirth } from '../../format.js';
import { actorOf, routeOf } from '../../request.js';
import { canSeeProtectedAddress } from './people.policy.js';
import { getPersonSummary } from './people.queries.js';

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
  receivedAt: Date | null;
  changedAt: Date;
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

/** The person's shown details with their sources and history, as this reader may see them (addresses protected as on the person page). */
export async function personDetailSources(db: Kysely<Database>, actor: Actor, personId: string) {
  const summary = await getPersonSummary(db, personId);
  if (!summary) return null;
  const rows = await db.selectFrom('person_detail_history as h')
    .leftJoin('organisation as o', 'o.id', 'h.organisation_id')
    .leftJoin('person_address as a', 'a.id', 'h.address_id')
    .leftJoin('organisation as ao', 'ao.id', 'a.recorded_by_organisation_id')
    .select(['h.field', 'h.value', 'h.changed_at', 'h.source_received_at', 'o.name as organisation_name', 'a.line1', 'a.postcode', 'a.borough', 'a.protected',
      'a.recorded_by_organisation_id as address_org_id', 'ao.name as address_org_name'])
    .where('h.person_id', '=', personId)
    .orderBy('h.changed_at', 'desc').orderBy('h.id')
    .execute() as HistoryRow[];
  const today = new Date().toISOString().slice(0, 10);
  const isLeadProfessional = actor.kind === 'user' && summary.involvements.some(
    (i) => i.userId === actor.userId && i.role === 'lead_professional' && (i.endedOn === null || i.endedOn >= today),
  );
  const present = (r: HistoryRow): DetailValue => {
    let text: string;
    if (r.field === 'address') {
      text = r.protected && !canSeeProtectedAddress(actor, r.address_org_id, isLeadProfessional)
        ? `Protected. Ask ${r.address_org_name ?? 'the recording agency'} if you need it.`
        : [[r.line1, r.postcode].filter(Boolean).join(', '), r.borough ? `(${r.borough})` : ''].filter(Boolean).join(' ') || 'Not recorded';
    } else text = valueText(r.field, r.value);
    return { text, organisationName: r.organisation_name, receivedAt: r.source_received_at, changedAt: r.changed_at };
  };
  const details: DetailRow[] = SHOWN_FIELDS.map((field) => {
    const mine = rows.filter((r) => r.field === field).map(present);
    return { field, label: FIELD_LABELS[field], rule: ruleOf(field), current: mine[0] ?? null, earlier: mine.slice(1) };
  });
  // A detail never chosen again (one agency's record, or recorded here) is shown as the person page shows it.
  const shown: Record<ShownField, string> = {
    name: summary.displayName,
    date_of_birth: summary.dateOfBirth ? formatDateOfBirth(summary.dateOfBirth, summary.dobAccuracy) : 'Not known',
    sex: valueText('sex', summary.sex),
    ethnicity: summary.ethnicity ? valueText('ethnicity', summary.ethnicity) : 'Not recorded',
    address: 'Not recorded',
  };
  const current = summary.addresses.find((a) => a.validTo === null);
  if (current) {
    shown.address = current.protected && !canSeeProtectedAddress(actor, current.recordedByOrganisationId, isLeadProfessional)
      ? `Protected. Ask ${current.recordedByOrganisationName ?? 'the recording agency'} if you need it.`
      : [[current.line1, current.postcode].filter(Boolean).join(', '), current.borough ? `(${current.borough})` : ''].filter(Boolean).join(' ');
  }
  const firstSource = await db.selectFrom('source_record as s').innerJoin('organisation as o', 'o.id', 's.organisation_id')
    .select(['o.name', 's.created_at']).where('s.person_id', '=', personId).orderBy('s.created_at').limit(1).executeTakeFirst();
  for (const d of details) {
    if (!d.current) d.current = { text: shown[d.field], organisationName: firstSource?.name ?? null, receivedAt: firstSource?.created_at ?? null, changedAt: firstSource?.created_at ?? new Date(0) };
  }
  return { id: summary.id, displayName: summary.displayName, details };
}

/** GET /people/:personId/details: the page, for anyone who may open the person, logged as a read of the person. */
export function personDetailsRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<ZodTypeProvider>().get('/people/:personId/details', {
    schema: { params: z.object({ personId: z.string().max(64) }) },
    config: { access: { kind: 'person', action: 'person.read' } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const data = await personDetailSources(ctx.db, actor, request.params.personId);
    if (!data) return refuseRecord(ctx, request, { personId: request.params.personId });
    await recordAccess(ctx.db, {
      actor, action: 'person.read', personId: data.id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { view: 'details_and_sources' },
    });
    return reply.view('people/views/details.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', person: data });
  });
}
