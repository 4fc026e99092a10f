/**
 * Missing episodes and return home interviews: the structured episode beside its chronology entry,
 * the 72-hour clock each return starts, the child's missing profile (read through entryScope for
 * the viewer) and the partnership's timeliness counts.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { MISSING_RISK_GRADINGS, missingDetailsFromNarrative, type MissingDetails, type MissingRiskGrading } from '../../../intake/missing-details.js';
import type { Actor } from '../../actor.js';
import { entryScope, samePersonIds } from '../chronology/chronology.policy.js';
import { visiblePersonIds } from '../people/people.policy.js';

/** Hours from a return within which a return home interview is offered and completed. */
export const RHI_HOURS = 72;

/** Police risk gradings of a missing episode. */
export const RISK_GRADINGS = MISSING_RISK_GRADINGS;
export type RiskGrading = MissingRiskGrading;

/** Push factors (what drove the child away) a return home interview can name. */
export const PUSH_FACTORS = {
  conflict_at_home: 'Conflict at home', placement_unhappy: 'Unhappy in placement', bullying: 'Bullying', school_problems: 'Problems at school',
  abuse_or_neglect: 'Abuse or neglect', boundaries: 'Rules or boundaries', mental_health: 'Emotional or mental health',
} as const;
/** Pull factors (what drew the child away). */
export const PULL_FACTORS = {
  friends: 'Friends', boyfriend_girlfriend: 'Boyfriend or girlfriend', family_elsewhere: 'Family elsewhere', older_associates: 'Older associates',
  exploitation_concern: 'Concern of exploitation', substances: 'Drugs or alcohol', money_or_gifts: 'Money or gifts', online_contact: 'Someone met online',
} as const;

/** When the interview is due: 72 hours after the return. */
export function dueAt(returnedAt: Date): Date {
  return new Date(returnedAt.getTime() + RHI_HOURS * 3600_000);
}

/**
 * Makes (or keeps in step) the interview of an episode whose return is known: due 72 hours after
 * the return. Called in the transaction that records the return.
 */
export async function startInterviewClock(trx: Kysely<Database>, episode: { id: string; person_id: string; returned_at: Date | null }): Promise<void> {
  if (!episode.returned_at) return;
  await trx.insertInto('return_interview')
    .values({ episode_id: episode.id, person_id: episode.person_id, due_at: dueAt(episode.returned_at) })
    .onConflict((oc) => oc.column('episode_id').doUpdateSet({ due_at: dueAt(episode.returned_at!) }))
    .execute();
}

/** How long before a found report an open episode may have begun, to be the one it completes. */
const FOUND_REPORT_WINDOW_DAYS = 30;

/**
 * The open episode a found report (a separate record giving when the child was found) completes:
 * the child's latest episode (any merged record) from the same organisation with no return yet,
 * reported missing at most 30 days before the child was found, whose police reference is the
 * report's when both give one (a matching reference first). A record dated before it says the child
 * was found reports a whole episode, and completes another only by naming its reference. A
 * restricted report completes only a restricted episode, so an episode never shows what its viewer
 * may not read.
 */
async function openEpisodeFor(trx: Kysely<Database>, e: { id: string; person_id: string; organisation_id: string; sensitivity: string; occurred_at: Date }, d: MissingDetails) {
  const found = d.found!;
  const latest = new Date(found.at.getTime() + (found.precision === 'date' ? 86400_000 : 60_000));
  let q = trx.selectFrom('missing_episode as m').innerJoin('event as ev', 'ev.id', 'm.event_id')
    .select(['m.id', 'm.person_id', 'm.where_found', 'm.who_with', 'm.police_reference', 'm.risk_grading'])
    .where('m.person_id', 'in', samePersonIds(trx, e.person_id))
    .where('m.organisation_id', '=', e.organisation_id).where('m.returned_at', 'is', null).where('m.event_id', '<>', e.id)
    .where('m.reported_missing_at', '<=', latest)
    .where('m.reported_missing_at', '>=', new Date(found.at.getTime() - FOUND_REPORT_WINDOW_DAYS * 86400_000));
  if (e.sensitivity === 'restricted') q = q.where('ev.sensitivity', '=', 'restricted');
  // A found report is dated when the child was found; a record dated earlier reports a whole episode
  // of its own, and completes another only when it names that episode's police reference.
  const datedFound = e.occurred_at.getTime() >= found.at.getTime() - (found.precision === 'date' ? 86400_000 : 3600_000);
  if (d.policeReference) {
    const ref = d.policeReference;
    q = q.where((eb) => (datedFound ? eb.or([eb('m.police_reference', 'is', null), eb('m.police_reference', '=', ref)]) : eb('m.police_reference', '=', ref)));
  } else if (!datedFound) {
    return undefined;
  }
  return q.orderBy(sql`m.police_reference IS NOT NULL`, 'desc').orderBy('m.reported_missing_at', 'desc').limit(1).forUpdate('m').executeTakeFirst();
}

/**
 * The structured episodes of newly recorded missing_episode entries that have none yet (imports:
 * SSDA903 and police records), with what the entry carries: when the child went missing, the
 * return, where found, who with, the police reference and grading (lines of the narrative,
 * src/intake/missing-details.ts), the place. A police found report sent as a record of its own
 * completes the child's open episode instead of making another: the found time fills the episode
 * and starts its 72-hour clock. Read as the partnership for its own duty (whole entries, merged
 * records as one child). Idempotent: one episode per entry, one episode per found report.
 */
export async function episodesFromEntries(db: Kysely<Database>, eventIds: string[], personIds: string[]): Promise<number> {
  if (eventIds.length === 0 || personIds.length === 0) return 0;
  const entries = await db.selectFrom(entryScope({ kind: 'partnership', purpose: 'rules' }, { ids: personIds, entries: eventIds }).as('v'))
    .select(['v.id', 'v.person_id', 'v.occurred_at', 'v.organisation_id', 'v.narrative', 'v.place', 'v.roles', 'v.supersedes', 'v.sensitivity'])
    .where('v.current', '=', true).where('v.event_type_code', '=', 'missing_episode')
    .where(sql<boolean>`'subject' = ANY(v.roles)`)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('missing_episode as m').select('m.id').whereRef('m.event_id', '=', 'v.id'))))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('missing_episode_report as mr').select('mr.event_id').whereRef('mr.event_id', '=', 'v.id'))))
    .orderBy('v.occurred_at').orderBy('v.id')
    .execute();
  let made = 0;
  // A few entries to a transaction: far fewer statements than one each, and still short (on PGlite a
  // request waits at most for one of them). An entry that simply opens an episode (no correction, no
  // found report) needs no reads: a run of them is written as one statement, in order with the rest.
  let at = 0;
  while (at < entries.length) {
    const group: { e: EpisodeEntry; d: MissingDetails; plain: boolean }[] = [];
    let involved = 0;
    for (; at < entries.length && involved < ENTRIES_PER_TRANSACTION && group.length < PLAIN_ENTRIES_PER_TRANSACTION; at += 1) {
      const e = entries[at]!;
      const d = missingDetailsFromNarrative(e.narrative);
      const plain = !e.supersedes && !d.found;
      if (!plain) involved += 1;
      group.push({ e, d, plain });
    }
    await db.transaction().execute(async (trx) => {
      let run: ReturnType<typeof newEpisode>[] = [];
      const writeRun = async () => {
        if (!run.length) return;
        made += (await trx.insertInto('missing_episode').values(run).onConflict((oc) => oc.column('event_id').doNothing()).returning('id').execute()).length;
        run = [];
      };
      for (const { e, d, plain } of group) {
        if (plain) { run.push(newEpisode(e, d)); continue; }
        await writeRun();
        if (await episodeFromEntry(trx, e, d)) made++;
      }
      await writeRun();
    });
  }
  return made;
}

/** At most this many entries that read before they write (corrections, found reports) to a transaction. */
const ENTRIES_PER_TRANSACTION = 20;
/** At most this many entries to a transaction in all (an entry that only opens an episode is one row of a statement). */
const PLAIN_ENTRIES_PER_TRANSACTION = 200;

type EpisodeEntry = { id: string; person_id: string; occurred_at: Date; organisation_id: string; narrative: string | null; place: string | null; supersedes: string | null; sensitivity: string };

/** The return an entry gives for its own episode: a found time no more than a day before it went missing. */
const ownReturn = (e: EpisodeEntry, d: MissingDetails) => (d.found && d.found.at.getTime() >= e.occurred_at.getTime() - 86400_000 ? d.found : null);
const whereFoundOf = (e: EpisodeEntry, d: MissingDetails) => (d.whereFound ?? e.place)?.slice(0, 300) ?? null;

/** The episode an entry opens, as the entry gives it. */
function newEpisode(e: EpisodeEntry, d: MissingDetails) {
  const returned = ownReturn(e, d);
  return {
    person_id: e.person_id, event_id: e.id, organisation_id: e.organisation_id, source: 'import' as const, reported_missing_at: e.occurred_at,
    returned_at: returned?.at ?? null, returned_precision: returned?.precision ?? null, where_found: whereFoundOf(e, d),
    who_with: d.whoWith, police_reference: d.policeReference, risk_grading: d.riskGrading,
  };
}

/** One entry's episode (see episodesFromEntries): made, moved or completed; false when it already has one. */
async function episodeFromEntry(trx: Kysely<Database>, e: EpisodeEntry, d: MissingDetails): Promise<boolean> {
  const returned = ownReturn(e, d);
  const whereFound = whereFoundOf(e, d);
  // A correction of a found report: the link follows it, and the episode takes the corrected return.
  const earlierReport = e.supersedes
    ? await trx.selectFrom('missing_episode_report').select(['event_id', 'episode_id']).where('event_id', '=', e.supersedes).executeTakeFirst()
    : undefined;
  if (earlierReport) {
    await trx.updateTable('missing_episode_report').set({ event_id: e.id }).where('event_id', '=', earlierReport.event_id).execute();
    const moved = await trx.updateTable('missing_episode').set({
      returned_at: d.found?.at ?? null, returned_precision: d.found?.precision ?? null, updated_at: new Date(),
      ...(whereFound ? { where_found: whereFound } : {}), ...(d.whoWith ? { who_with: d.whoWith } : {}), ...(d.riskGrading ? { risk_grading: d.riskGrading } : {}),
    }).where('id', '=', earlierReport.episode_id).returning(['id', 'person_id', 'returned_at']).executeTakeFirstOrThrow();
    await startInterviewClock(trx, moved);
    return true;
  }
  // A correction (a re-sent record with a new return, say) carries the episode of the entry it
  // supersedes forward: one episode, one clock, never a second one for the same absence.
  const earlier = e.supersedes
    ? await trx.selectFrom('missing_episode').select(['id', 'source', 'returned_at', 'returned_precision', 'where_found', 'who_with', 'police_reference', 'risk_grading']).where('event_id', '=', e.supersedes).forUpdate().executeTakeFirst()
    : undefined;
  if (earlier) {
    const fromEntry = earlier.source === 'import';
    const moved = await trx.updateTable('missing_episode').set({
      event_id: e.id, reported_missing_at: e.occurred_at, updated_at: new Date(),
      ...(fromEntry ? {
        returned_at: returned?.at ?? null, returned_precision: returned?.precision ?? null, where_found: whereFound ?? earlier.where_found,
        who_with: d.whoWith ?? earlier.who_with, police_reference: d.policeReference ?? earlier.police_reference, risk_grading: d.riskGrading ?? earlier.risk_grading,
      } : {}),
    }).where('id', '=', earlier.id).returning(['id', 'person_id', 'returned_at']).executeTakeFirstOrThrow();
    await startInterviewClock(trx, moved);
    return true;
  }
  // A found report of its own: it completes the child's open episode.
  const open = d.found ? await openEpisodeFor(trx, e, d) : undefined;
  if (open) {
    const done = await trx.updateTable('missing_episode').set({
      returned_at: d.found!.at, returned_precision: d.found!.precision, updated_at: new Date(),
      where_found: whereFound ?? open.where_found, who_with: d.whoWith ?? open.who_with,
      police_reference: open.police_reference ?? d.policeReference, risk_grading: d.riskGrading ?? open.risk_grading,
    }).where('id', '=', open.id).returning(['id', 'person_id', 'returned_at']).executeTakeFirstOrThrow();
    await trx.insertInto('missing_episode_report').values({ event_id: e.id, episode_id: open.id, person_id: open.person_id }).execute();
    await startInterviewClock(trx, done);
    return true;
  }
  const row = await trx.insertInto('missing_episode').values(newEpisode(e, d)).onConflict((oc) => oc.column('event_id').doNothing()).returning(['id', 'person_id', 'returned_at']).executeTakeFirst();
  if (!row) return false;
  await startInterviewClock(trx, row);
  return true;
}

/** An episode of this child (any of their merged records) whose entry the viewer may see whole; undefined otherwise. */
export async function visibleEpisode(db: Kysely<Database>, actor: Actor, personId: string, episodeId: string) {
  return db.selectFrom('missing_episode as m')
    .innerJoin(entryScope(actor, { ids: [personId] }).as('v'), 'v.id', 'm.event_id')
    .leftJoin('return_interview as r', 'r.episode_id', 'm.id')
    .leftJoin('organisation as o', 'o.id', 'm.organisation_id')
    .select([
      'm.id', 'm.person_id', 'm.event_id', 'm.source', 'm.reported_missing_at', 'm.returned_at', 'm.returned_precision', 'm.where_found', 'm.who_with',
      'm.police_reference', 'm.risk_grading', 'o.name as organisation_name', 'v.summary', 'v.place',
      'r.id as interview_id', 'r.due_at', 'r.offered_at', 'r.offered_by', 'r.outcome', 'r.outcome_at', 'r.declined_reason', 'r.completed_at', 'r.completed_by_kind',
      'r.completed_by_name', 'r.where_child_was', 'r.who_with as interview_who_with', 'r.push_factors', 'r.pull_factors', 'r.findings',
    ])
    .where('m.id', '=', episodeId).where('v.access', '=', 'full')
    .where('m.person_id', 'in', samePersonIds(db, personId))
    .executeTakeFirst();
}
export type VisibleEpisode = NonNullable<Awaited<ReturnType<typeof visibleEpisode>>>;

/** Where an interview stands at a moment. */
export function interviewState(r: { due_at: Date | null; completed_at: Date | null; outcome: string | null }, now: Date): 'completed' | 'declined' | 'overdue' | 'due' | null {
  if (!r.due_at) return null;
  if (r.completed_at) return 'completed';
  if (r.outcome === 'declined') return 'declined';
  return r.due_at.getTime() < now.getTime() ? 'overdue' : 'due';
}

/** One past episode on the profile. */
export interface ProfileEpisode {
  entryId: string;
  episodeId: string | null;
  reportedAt: Date;
  precision: string;
  returnedAt: Date | null;
  durationHours: number | null;
  whereFound: string | null;
  whoWith: string | null;
  riskGrading: string | null;
  policeReference: string | null;
  interview: string | null;
  organisationName: string;
}

const norm = (s: string) => s.trim().replace(/\s+/g, ' ');
const split = (s: string | null) => (s ? s.split(/[;,\n]/).map(norm).filter((x) => x.length > 1) : []);

/** A place or associate named across episodes: how many episodes name it, and the first and last of them. */
export interface Pattern {
  name: string;
  episodes: number;
  firstSeen: Date;
  lastSeen: Date;
}

/** Names across episodes, case-insensitive (a name once per episode), most episodes first, then most recently seen. */
function tally(perEpisode: { names: string[]; at: Date }[]): Pattern[] {
  const counts = new Map<string, Pattern>();
  for (const { names, at } of perEpisode) {
    for (const key of new Set(names.map((n) => n.toLowerCase()))) {
      const shown = names.find((n) => n.toLowerCase() === key)!;
      const c = counts.get(key) ?? { name: shown, episodes: 0, firstSeen: at, lastSeen: at };
      c.episodes++;
      if (at.getTime() < c.firstSeen.getTime()) c.firstSeen = at;
      if (at.getTime() > c.lastSeen.getTime()) c.lastSeen = at;
      counts.set(key, c);
    }
  }
  return [...counts.values()].sort((a, b) => b.episodes - a.episodes || b.lastSeen.getTime() - a.lastSeen.getTime() || a.name.localeCompare(b.name));
}

/**
 * The child's missing profile as the viewer may see it: their missing_episode entries read through
 * entryScope (withheld entries counted, not shown), each with its structured episode and interview;
 * the places and associates named, counted across episodes; the description and online handles.
 */
export async function missingProfile(db: Kysely<Database>, actor: Actor, personId: string, now = new Date()) {
  const [rows, withheld, description, handles, person] = await Promise.all([
    db.selectFrom(entryScope(actor, { ids: [personId] }).as('v'))
      .leftJoin('missing_episode as m', 'm.event_id', 'v.id')
      .leftJoin('return_interview as r', 'r.episode_id', 'm.id')
      .select([
        'v.id', 'v.occurred_at', 'v.occurred_precision', 'v.place', 'v.organisation_name',
        'm.id as episode_id', 'm.reported_missing_at', 'm.returned_at', 'm.where_found', 'm.who_with', 'm.risk_grading', 'm.police_reference',
        'r.due_at', 'r.completed_at', 'r.outcome', 'r.where_child_was', 'r.who_with as interview_who_with',
      ])
      .where('v.current', '=', true).where('v.access', '=', 'full').where('v.event_type_code', '=', 'missing_episode')
      // A found report shows as its episode's return, not as an episode of its own.
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('missing_episode_report as mr').select('mr.event_id').whereRef('mr.event_id', '=', 'v.id'))))
      .orderBy('v.occurred_at', 'desc').limit(500).execute(),
    db.selectFrom(entryScope(actor, { ids: [personId] }).as('v')).select((eb) => eb.fn.countAll<number>().as('n'))
      .where('v.current', '=', true).where('v.access', '<>', 'full').executeTakeFirst(),
    db.selectFrom('missing_description').selectAll().where('person_id', 'in', samePersonIds(db, personId)).orderBy('updated_at', 'desc').executeTakeFirst(),
    db.selectFrom('person_name').select(['given_names', 'family_name']).where('kind', '=', 'online_handle')
      .where('person_id', 'in', samePersonIds(db, personId)).execute(),
    db.selectFrom('person').select(['date_of_birth', 'sex']).where('id', '=', personId).executeTakeFirst(),
  ]);
  const episodes: ProfileEpisode[] = rows.map((r) => {
    const reportedAt = r.reported_missing_at ?? r.occurred_at;
    return {
      entryId: r.id, episodeId: r.episode_id, reportedAt, precision: r.reported_missing_at ? 'time' : r.occurred_precision,
      returnedAt: r.returned_at, durationHours: r.returned_at ? Math.max(0, Math.round((r.returned_at.getTime() - reportedAt.getTime()) / 3600_000)) : null,
      whereFound: r.where_found ?? r.place, whoWith: r.who_with, riskGrading: r.risk_grading ? RISK_GRADINGS[r.risk_grading] : null,
      policeReference: r.police_reference, organisationName: r.organisation_name,
      interview: interviewState({ due_at: r.due_at, completed_at: r.completed_at, outcome: r.outcome }, now),
    };
  });
  // Patterns across episodes: each place and associate with the episodes naming it and when they were.
  const at = (r: (typeof rows)[number]) => r.reported_missing_at ?? r.occurred_at;
  const places = tally(rows.map((r) => ({ names: [...split(r.where_found ?? r.place), ...split(r.where_child_was)], at: at(r) })));
  const associates = tally(rows.map((r) => ({ names: [...split(r.who_with), ...split(r.interview_who_with)], at: at(r) })));
  return {
    episodes, places, associates, withheldEntries: Number(withheld?.n ?? 0), description: description ?? null,
    handles: handles.map((h) => [h.given_names, h.family_name].filter(Boolean).join(' ')).filter(Boolean),
    dateOfBirth: person?.date_of_birth ?? null, sex: person?.sex ?? null,
  };
}

/** One due or overdue interview on a home page. */
export interface DueInterview {
  episodeId: string;
  personId: string;
  dueAt: Date;
  overdue: boolean;
  offered: boolean;
}

/**
 * Open return home interviews (not completed, not declined) of the children the user works with
 * (personally, through their team or organisation, as "my children"), soonest due first, of
 * episodes whose entry they may see whole (read through entryScope). Uses the partial index on open
 * interviews.
 */
export async function dueInterviews(db: Kysely<Database>, actor: Actor & { kind: 'user' }, now = new Date(), limit = 50): Promise<DueInterview[]> {
  const rows = await db.selectFrom('return_interview as r')
    .innerJoin('missing_episode as m', 'm.id', 'r.episode_id')
    .select(['r.episode_id', 'm.person_id', 'm.event_id', 'r.due_at', 'r.offered_at'])
    .where('r.completed_at', 'is', null)
    .where((eb) => eb.or([eb('r.outcome', 'is', null), eb('r.outcome', '<>', 'declined')]))
    .where('r.person_id', 'in', visiblePersonIds(db, actor))
    .orderBy('r.due_at').limit(limit).execute();
  if (rows.length === 0) return [];
  // Only episodes whose entry the user may see whole (the episode page opens only for those).
  const seen = new Set((await db.selectFrom(entryScope(actor, { ids: [...new Set(rows.map((r) => r.person_id))], entries: rows.map((r) => r.event_id) }).as('v'))
    .select('v.id').where('v.access', '=', 'full').execute()).map((v) => v.id));
  return rows.filter((r) => seen.has(r.event_id)).map((r) => ({ episodeId: r.episode_id, personId: r.person_id, dueAt: r.due_at, overdue: r.due_at.getTime() < now.getTime(), offered: r.offered_at !== null }));
}

/**
 * Records the interview's answer (accepted, declined, or none) and when it was given, keeping the
 * history the "as of" counts read: a row is added only when the answer or its time changes.
 */
export async function recordInterviewOutcome(
  trx: Kysely<Database>,
  interview: { id: string; person_id: string; outcome: 'accepted' | 'declined' | null; outcome_at: Date | null },
  next: { outcome: 'accepted' | 'declined' | null; at: Date | null },
  userId: string | null,
  now = new Date(),
): Promise<void> {
  const at = next.outcome ? next.at ?? now : null;
  if (interview.outcome === next.outcome && interview.outcome_at?.getTime() === at?.getTime()) return;
  await trx.insertInto('return_interview_outcome').values({
    interview_id: interview.id, person_id: interview.person_id, outcome: next.outcome, outcome_at: at ?? now, recorded_at: now, recorded_by_user_id: userId,
  }).execute();
}

/** A partnership's return home interview timeliness for a period, as things stood at a moment. */
export interface Timeliness {
  episodes: number;
  returns: number;
  offered: number;
  offeredWithin72h: number;
  accepted: number;
  declined: number;
  completed: number;
  completedWithin72h: number;
  overdue: number;
  stillWithin72h: number;
}

/**
 * Counts for the episodes of the partnership's children (their current address) reported missing
 * in [from, to] (dates, inclusive), as things stood at `asOf`: every count takes only what had
 * happened by then (reported, returned, offered, completed by their recorded times; accepted or
 * declined by the answer the interview had at that moment, from its history), so a count as of
 * last month does not include a later acceptance or completion.
 */
export async function partnershipTimeliness(db: Kysely<Database>, partnershipId: string, from: string, to: string, asOf = new Date()): Promise<Timeliness> {
  const r = await sql<Record<keyof Timeliness, string | number>>`
    SELECT
      count(*) AS "episodes",
      count(*) FILTER (WHERE m.returned_at IS NOT NULL AND m.returned_at <= ${asOf}) AS "returns",
      count(*) FILTER (WHERE r.offered_at IS NOT NULL AND r.offered_at <= ${asOf}) AS "offered",
      count(*) FILTER (WHERE r.offered_at IS NOT NULL AND r.offered_at <= r.due_at AND r.offered_at <= ${asOf}) AS "offeredWithin72h",
      count(*) FILTER (WHERE o.outcome = 'accepted') AS "accepted",
      count(*) FILTER (WHERE o.outcome = 'declined') AS "declined",
      count(*) FILTER (WHERE r.completed_at IS NOT NULL AND r.completed_at <= ${asOf}) AS "completed",
      count(*) FILTER (WHERE r.completed_at IS NOT NULL AND r.completed_at <= r.due_at AND r.completed_at <= ${asOf}) AS "completedWithin72h",
      count(*) FILTER (WHERE r.id IS NOT NULL AND m.returned_at <= ${asOf} AND r.due_at < ${asOf}
        AND (r.completed_at IS NULL OR r.completed_at > ${asOf}) AND o.outcome IS DISTINCT FROM 'declined') AS "overdue",
      count(*) FILTER (WHERE r.id IS NOT NULL AND m.returned_at <= ${asOf} AND r.due_at >= ${asOf}
        AND (r.completed_at IS NULL OR r.completed_at > ${asOf}) AND o.outcome IS DISTINCT FROM 'declined') AS "stillWithin72h"
    FROM missing_episode m
    JOIN person_partnership pp ON pp.person_id = m.person_id AND pp.partnership_id = ${partnershipId}
    LEFT JOIN return_interview r ON r.episode_id = m.id
    LEFT JOIN LATERAL (
      SELECT h.outcome FROM return_interview_outcome h
      WHERE h.interview_id = r.id AND h.outcome_at <= ${asOf}
      ORDER BY h.outcome_at DESC, h.recorded_at DESC, h.id DESC LIMIT 1
    ) o ON true
    WHERE m.reported_missing_at >= ${from}::date AND m.reported_missing_at < ${to}::date + 1 AND m.reported_missing_at <= ${asOf}`.execute(db);
  const row = r.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as Timeliness;
}
