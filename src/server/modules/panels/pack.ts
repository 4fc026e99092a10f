/**
 * The briefing pack of a meeting, for one reader: for each child on the agenda whom the reader may
 * see (the people scope, which holds the panel's time-limited access), the chronology since the
 * child's last review from every agency as the reader may see it (withheld entries keep their date,
 * agency and whom to ask), the latest signed-off risk level, the plan in force with its actions' owners
 * and status, offers of help and their outcome, each agency's update, and links to the other children
 * on the agenda. Entries are read in one statement for all the children.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { entryLabel } from '../chronology/chronology.presenter.js';
import { displayNames } from '../people/people.queries.js';
import type { MeetingHeader } from './panels.policy.js';
import { ACTION_STATUSES } from '../plans/plans.commands.js';
import { agendaOf, entriesSince, latestLevels, linksAndPlaces, offersOf, plansOf, sinceLastReview, updatesOf, visibleOf } from './panels.queries.js';

export async function briefingPack(db: Kysely<Database>, actor: Actor, meeting: MeetingHeader) {
  const agenda = await agendaOf(db, meeting.id);
  const ids = agenda.map((a) => a.person_id);
  const visible = await visibleOf(db, actor, ids);
  const shown = ids.filter((id) => visible.has(id));
  const since = await sinceLastReview(db, meeting, shown);
  const [names, people, entries, levels, updates, { links, places }, { plans, actions }, offers] = await Promise.all([
    displayNames(db, ids),
    shown.length ? db.selectFrom('person').select(['id', 'date_of_birth']).where('id', 'in', shown).execute() : Promise.resolve([]),
    entriesSince(db, actor, meeting, since),
    latestLevels(db, shown),
    updatesOf(db, meeting.id),
    linksAndPlaces(db, actor, shown),
    plansOf(db, shown),
    offersOf(db, shown),
  ]);
  const name = (id: string) => names.get(id) ?? 'Name not recorded';
  const byChild = new Map<string, typeof entries>();
  for (const e of entries) byChild.set(e.person_id, [...(byChild.get(e.person_id) ?? []), e]);
  return {
    generatedAt: new Date(),
    places,
    children: agenda.map((a) => {
      const own = byChild.get(a.person_id) ?? [];
      return {
        person_id: a.person_id, name: name(a.person_id), section: a.section, source: a.source, reason: a.reason, visible: visible.has(a.person_id),
        date_of_birth: people.find((p) => p.id === a.person_id)?.date_of_birth ?? null,
        since: since.get(a.person_id) ?? null,
        level: levels.get(a.person_id) ?? null,
        entries: own.map((e) => ({ ...e, label: entryLabel(e) })),
        significant: own.filter((e) => e.significant).length,
        updates: updates.filter((u) => u.person_id === a.person_id),
        plan: plans.find((p) => p.person_id === a.person_id) ?? null,
        actions: actions.filter((x) => x.person_id === a.person_id).map((x) => ({ ...x, statusLabel: ACTION_STATUSES[x.status] })),
        offers: offers.filter((f) => f.person_id === a.person_id),
        links: links.filter((l) => l.a === a.person_id || l.b === a.person_id)
          .map((l) => ({ name: name(l.a === a.person_id ? l.b : l.a), shared: l.shared })),
      };
    }),
  };
}
