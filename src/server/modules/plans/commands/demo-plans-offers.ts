/**
 * The demo's plans, offers of help and service directory: each partnership gets a small synthetic
 * early help directory (imported as Open Referral UK JSON would be), and the demo social worker's
 * first three lead-professional children get a plan with actions (one already overdue, so the outbox
 * escalates it to the team manager when the server starts) and offers of help, one declined with its
 * barrier in the family's words. Idempotent: a partnership with services is left alone.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor, Role } from '../../../actor.js';
import { importServices } from '../../offers/services.queries.js';
import { recordOffer, recordOfferResponse } from '../../offers/offers.commands.js';
import { addAction, addDays, createPlan } from '../plans.commands.js';

const SERVICES = [
  { key: 'mentoring', name: 'Youth Mentoring Project', provider: 'Synthetic Youth Trust', min: 10, max: 18, needs: ['exploitation', 'serious_violence'], weeks: 3, route: 'Professional referral on the partnership form; self-referral by text' },
  { key: 'sport', name: 'Boxing and Sport After School', provider: 'Synthetic Community Sport', min: 11, max: 19, needs: ['positive_activities'], weeks: 0, route: 'Drop in, or a professional can ring ahead' },
  { key: 'camhs-outreach', name: 'Young Minds Outreach', provider: 'Synthetic Community Health', min: 12, max: 18, needs: ['mental_health'], weeks: 8, route: 'Referral by a GP, school or social worker' },
  { key: 'parenting', name: 'Parenting Teenagers Course', provider: 'Synthetic Family Hub', min: 11, max: 17, needs: ['family_support'], weeks: 4, route: 'Self-referral or professional referral' },
  { key: 'family-centre', name: 'Little Steps Family Centre', provider: 'Synthetic Family Hub', min: 0, max: 4, needs: ['family_support'], weeks: 2, route: 'Drop in' },
];

/** Seeds the demo directory, plans and offers (see the file's comment). Returns the plans made. */
export async function seedDemoPlansAndOffers(db: Kysely<Database>, now: Date = new Date()): Promise<number> {
  const today = now.toISOString().slice(0, 10);
  const partnerships = await db.selectFrom('partnership as p').select(['p.id', 'p.code'])
    .where((eb) => eb.not(eb.exists(eb.selectFrom('service').select('service.id').whereRef('service.partnership_id', '=', 'p.id')))).execute();
  let plans = 0;
  for (const p of partnerships) {
    const areas = (await db.selectFrom('partnership_area').select('borough').where('partnership_id', '=', p.id).execute()).map((a) => a.borough);
    if (areas.length === 0) continue;
    const worker = await sql<{ id: string; name: string; email: string; organisation_id: string; organisation_name: string; team_id: string | null; roles: Role[] }>`
      SELECT u.id, u.name, u.email, u.organisation_id, o.name AS organisation_name, u.team_id, u.roles FROM app_user u JOIN organisation o ON o.id = u.organisation_id
      WHERE u.partnership_id = ${p.id} AND u.email LIKE 'practitioner@%' AND u.active ORDER BY u.email LIMIT 1`.execute(db);
    const youthWorker = await db.selectFrom('app_user').select('id').where('partnership_id', '=', p.id).where('email', 'like', 'youthworker@%').executeTakeFirst();
    await db.transaction().execute(async (trx) => {
      await importServices(trx, p.id, SERVICES.map((s) => ({
        externalId: `${p.code}-${s.key}`, name: s.name, description: `Synthetic service: ${s.name.toLowerCase()}`, providerName: s.provider, minAge: s.min, maxAge: s.max,
        needs: s.needs, areas, referralRoute: s.route, contactEmail: `${s.key}@example.test`, contactPhone: '0100 000 0000', url: `https://${s.key}.example.test`, waitingWeeks: s.weeks, status: 'active' as const,
      })));
      const w = worker.rows[0];
      if (!w) return;
      const actor: Actor & { kind: 'user' } = { kind: 'user', userId: w.id, name: w.name, email: w.email, organisationId: w.organisation_id, organisationName: w.organisation_name, teamId: w.team_id, roles: w.roles, partnershipId: p.id };
      const children = await trx.selectFrom('involvement').select('person_id').distinct().where('user_id', '=', w.id).where('role', '=', 'lead_professional').where('ended_on', 'is', null)
        .orderBy('person_id').limit(3).execute();
      const meta = { route: 'jigsaw seed' };
      for (const [i, c] of children.entries()) {
        const planId = await createPlan(trx, actor, {
          personId: c.person_id, worries: 'We are worried that older young people are asking them to carry things and that they come home late, frightened and with money they cannot explain.',
          goals: 'They feel safe going to school and coming home, and have an adult they trust to talk to.', reviewEveryWeeks: 6, today,
        }, meta);
        await addAction(trx, actor, { personId: c.person_id, planId, kind: 'supportive', description: 'Meet weekly and go with them to the boxing club', ownerUserId: youthWorker?.id ?? w.id, dueOn: addDays(today, 10 + i) }, meta);
        await addAction(trx, actor, { personId: c.person_id, planId, kind: 'disruptive', description: 'Ask the police to map the older group seen with them near the estate', ownerUserId: w.id, dueOn: addDays(today, i === 0 ? -2 : 4) }, meta);
        plans += 1;
        const accepted = await recordOffer(trx, actor, { personId: c.person_id, serviceId: null, serviceName: SERVICES[i % 2]!.name, made: { offeredOn: addDays(today, -14), mode: 'face_to_face', moment: 'At home the day after the police brought them back' } }, meta);
        await recordOfferResponse(trx, actor, { personId: c.person_id, offerId: accepted, response: 'accepted', barrier: null, ownWords: null }, meta);
        if (i === 0) {
          const declined = await recordOffer(trx, actor, { personId: c.person_id, serviceId: null, serviceName: 'Young Minds Outreach', made: { offeredOn: addDays(today, -30), mode: 'letter', moment: 'After a school exclusion' } }, meta);
          await recordOfferResponse(trx, actor, { personId: c.person_id, offerId: declined, response: 'not_taken_up', barrier: 'accessibility', ownWords: 'Mum said the appointments are in school time across the borough and she cannot get there with the little ones.' }, meta);
        }
      }
    });
  }
  return plans;
}
