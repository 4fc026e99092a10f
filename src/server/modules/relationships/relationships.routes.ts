/**
 * Relationships with a child that a person confirms. Importing records gives the sending organisation
 * no access to what other agencies hold about a child: a person in that organisation who works with
 * the child confirms it (their role, when the work started, and why), which creates their involvement
 * in one transaction with an access-log row (`relationship.confirm`, on the child's "who has seen this
 * record"); the data protection officer reviews every confirmation.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../../db/database.js';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';

/** The roles a confirmed relationship can name (the involvement roles the app uses), with their labels. */
export const RELATIONSHIP_ROLES = {
  lead_professional: 'Lead professional',
  key_worker: 'Key worker',
  allocated_worker: 'Allocated worker',
  case_holder: 'Case holder',
  trusted_adult: 'Trusted adult',
  designated_safeguarding_lead: 'Designated safeguarding lead',
  health_lead: 'Health lead',
  other: 'Other',
} as const;
type RelationshipRole = keyof typeof RELATIONSHIP_ROLES;

/** The shortest reason accepted. */
export const REASON_MIN = 20;

const recordParams = z.object({ batchId: z.string().max(64), seq: z.string().max(64) });
const confirmBody = z.object({
  _csrf: z.string().optional(),
  role: z.string().max(64).default(''),
  'startedOn-day': z.string().max(10).default(''),
  'startedOn-month': z.string().max(10).default(''),
  'startedOn-year': z.string().max(10).default(''),
  reason: z.string().max(5000).default(''),
});
type ConfirmValues = z.infer<typeof confirmBody>;

/** The accepted record of the actor's own organisation's batch that names a person, or undefined. */
async function ownRecord(db: Kysely<Database>, organisationId: string, batchId: string, seq: string) {
  if (!isUuid(batchId) || !/^\d{1,9}$/.test(seq)) return undefined;
  return db.selectFrom('intake_row as r').innerJoin('intake_batch as b', 'b.id', 'r.batch_id')
    .select(['r.batch_id', 'r.seq', 'r.file_name', 'r.row_number', 'r.ref', 'r.source_record_id', 'r.person_id', 'b.started_at'])
    .where('r.batch_id', '=', batchId).where('r.seq', '=', Number(seq)).where('b.organisation_id', '=', organisationId)
    .where('r.outcome', '<>', 'rejected').where('r.person_id', 'is not', null)
    .executeTakeFirst();
}

/** Confirming a relationship, and the data protection officer's review of confirmations. */
export async function relationshipRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const access = { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'relationship.confirm' } as const;

  async function findOwn(request: FastifyRequest, { batchId, seq }: z.infer<typeof recordParams>) {
    const actor = userOf(request);
    const row = await ownRecord(ctx.db, actor.organisationId, batchId, seq);
    // Another organisation's record, a rejected one or none at all: the same 404, with its denied row.
    if (!row) return refuseRecord(ctx, request, { detail: { batchId: isUuid(batchId) ? batchId : null, seq: /^\d{1,9}$/.test(seq) ? Number(seq) : null } });
    return row;
  }

  function render(request: FastifyRequest, reply: FastifyReply, row: NonNullable<Awaited<ReturnType<typeof ownRecord>>>, values: Partial<ConfirmValues>, errors: { href: string; text: string; field: string }[]) {
    reply.status(errors.length ? 400 : 200);
    return reply.view('relationships/views/confirm.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'intake',
      record: { batchId: row.batch_id, seq: row.seq, file: row.file_name, line: row.row_number, ref: row.ref, recordId: row.source_record_id },
      roles: Object.entries(RELATIONSHIP_ROLES).map(([value, text]) => ({ value, text, checked: values.role === value })),
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])), reasonMin: REASON_MIN,
    });
  }

  r.get('/intake/batches/:batchId/records/:seq/relationship', { schema: { params: recordParams }, config: { access } }, async (request, reply) => {
    const row = await findOwn(request, request.params);
    return render(request, reply, row, {}, []);
  });

  r.post('/intake/batches/:batchId/records/:seq/relationship', { schema: { params: recordParams, body: confirmBody }, config: { access } }, async (request, reply) => {
    const actor = userOf(request);
    const row = await findOwn(request, request.params);
    const values = request.body;
    const reason = values.reason.trim();
    const errors: { href: string; text: string; field: string }[] = [];
    if (!(values.role in RELATIONSHIP_ROLES)) errors.push({ field: 'role', href: '#role', text: 'Choose your role with the child' });
    const started = parseDateParts(values['startedOn-day'], values['startedOn-month'], values['startedOn-year'], { requireDay: true });
    const today = new Date().toISOString().slice(0, 10);
    if (!started.ok) errors.push({ field: 'startedOn', href: `#startedOn-${started.field}`, text: `The date you started working with the child ${started.error}` });
    else if (started.date > today) errors.push({ field: 'startedOn', href: '#startedOn-day', text: 'The date you started working with the child must be today or in the past' });
    if (reason.length < REASON_MIN) errors.push({ field: 'reason', href: '#reason', text: `Explain why you need to see other agencies' information about this child, in at least ${REASON_MIN} characters` });
    else if (reason.length > 2000) errors.push({ field: 'reason', href: '#reason', text: 'The reason must be 2000 characters or fewer' });
    if (errors.length || !started.ok) return render(request, reply, row, values, errors);
    const personId = row.person_id!;
    const role = values.role as RelationshipRole;
    await ctx.db.transaction().execute(async (trx) => {
      const involvement = await trx.insertInto('involvement').values({
        person_id: personId, organisation_id: actor.organisationId, team_id: null, user_id: actor.userId, role, started_on: started.date,
      }).returning('id').executeTakeFirstOrThrow();
      const confirmation = await trx.insertInto('relationship_confirmation').values({
        involvement_id: involvement.id, person_id: personId, user_id: actor.userId, organisation_id: actor.organisationId, role, started_on: started.date,
        reason, batch_id: row.batch_id, batch_seq: row.seq,
      }).returning('id').executeTakeFirstOrThrow();
      // An access grant: on the child's "who has seen this record", with the reason and the record it came from.
      await recordAccess(trx, {
        actor, action: 'relationship.confirm', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: {
          confirmationId: confirmation.id, involvementId: involvement.id, role, startedOn: started.date, reason,
          intakeRecord: { batchId: row.batch_id, seq: row.seq, recordId: row.source_record_id },
        },
      });
    });
    return reply.redirect(`/people/${personId}`, 303);
  });

  r.get('/admin/relationships', {
    config: {
      access: { kind: 'roles', roles: ['data_protection_officer'], action: 'relationship.list' },
      nav: { text: 'Confirmed relationships', key: 'relationships', order: 81, group: 'Information governance', hint: 'Relationships confirmed after an import, to review',
        waiting: { label: 'to review', count: async (db) => Number((await db.selectFrom('relationship_confirmation').select((eb) => eb.fn.countAll().as('n')).where('reviewed_at', 'is', null).executeTakeFirst())?.n ?? 0) } },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const rows = await ctx.db.selectFrom('relationship_confirmation as c')
      .innerJoin('app_user as u', 'u.id', 'c.user_id')
      .innerJoin('organisation as o', 'o.id', 'c.organisation_id')
      .leftJoin('app_user as rv', 'rv.id', 'c.reviewed_by')
      .select(['c.id', 'c.person_id', 'c.role', 'c.started_on', 'c.reason', 'c.confirmed_at', 'c.reviewed_at', 'c.review_note',
        'u.name as user_name', 'o.name as organisation_name', 'rv.name as reviewer_name'])
      .orderBy(sql`c.reviewed_at IS NULL`, 'desc').orderBy('c.confirmed_at', 'desc').limit(500).execute();
    const personIds = [...new Set(rows.map((x) => x.person_id))];
    const names = await displayNames(ctx.db, personIds);
    await recordAccess(ctx.db, { actor, action: 'relationship.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { personIds } });
    return reply.view('relationships/views/review-list.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'relationships',
      rows: rows.map((x) => ({ ...x, person_name: names.get(x.person_id) ?? '', role_label: RELATIONSHIP_ROLES[x.role as RelationshipRole] ?? x.role })),
      unreviewed: rows.filter((x) => !x.reviewed_at).length,
    });
  });

  r.post('/admin/relationships/:id/review', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), note: z.string().max(2000).default('') }) },
    config: { access: { kind: 'record', roles: ['data_protection_officer'], action: 'relationship.review' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.id;
    const found = isUuid(id) ? await ctx.db.selectFrom('relationship_confirmation').select(['id', 'person_id', 'user_id']).where('id', '=', id).executeTakeFirst() : undefined;
    // Nobody reviews their own confirmation.
    if (!found || found.user_id === actor.userId) return refuseRecord(ctx, request, { personId: found?.person_id ?? null, detail: { confirmationId: isUuid(id) ? id : null } });
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('relationship_confirmation').set({ reviewed_by: actor.userId, reviewed_at: sql<Date>`now()`, review_note: request.body.note.trim() || null })
        .where('id', '=', found.id).where('reviewed_at', 'is', null).execute();
      await recordAccess(trx, {
        actor, action: 'relationship.review', personId: found.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { confirmationId: found.id },
      });
    });
    return reply.redirect('/admin/relationships', 303);
  });
}
