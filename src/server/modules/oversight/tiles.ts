import { sql, type RawBuilder } from 'kysely';
import { entryScope } from '../chronology/chronology.policy.js';

/**
 * The dashboard's tiles. Each is one SQL query over what the data holds as of a moment: one row per
 * thing counted (an entry, an episode, an action, a consideration...) naming the person record it is
 * about and the row of the tile's table it falls in (`label`). The framework (dashboard.queries.ts)
 * maps records to their child (merged records are one child), keeps the children of the partnership,
 * counts items and children per label, and breaks the children down by ethnic group, sex and age band.
 */

/** What a tile's query is given: the partnership, and the period [from, to) ending at the "as of" moment. */
export interface TileParams {
  partnershipId: string;
  from: Date;
  to: Date;
}

/** One counted thing. */
export interface TileItem {
  person_id: string;
  label: string;
}

/** A tile: its words, the order of its rows, and its query. */
export interface TileDef {
  key: string;
  title: string;
  /** What is counted and over which period, in plain words. */
  description: string;
  /** The heading of the label column, and of the item count. */
  labelHeading: string;
  itemHeading: string;
  /** Row order and wording for known labels; other labels (agencies) follow by name. */
  labels?: readonly { code: string; text: string }[];
  /** Whether the items are already the partnership's (by its own rule, such as a transfer's receiving partnership). */
  ownPartnership?: boolean;
  items(p: TileParams): RawBuilder<TileItem>;
}

/** Risk factors of extra-familial harm: a child with an entry implying one in the last year is in the cohort. */
export const EXTRA_FAMILIAL_FACTORS = [
  'criminal_exploitation', 'sexual_exploitation', 'county_lines', 'trafficking_modern_slavery',
  'gang_association', 'peers_of_concern', 'online_harm', 'carrying_weapon',
] as const;

const FACTOR_TEXT: Record<string, string> = {
  criminal_exploitation: 'Criminal exploitation', sexual_exploitation: 'Sexual exploitation', county_lines: 'County lines',
  trafficking_modern_slavery: 'Trafficking or modern slavery', gang_association: 'Group or gang association',
  peers_of_concern: 'Peers of concern', online_harm: 'Online harm', carrying_weapon: 'Carrying a weapon',
};

/**
 * Entries of some types occurring in the period, read as the partnership through the chronology's
 * scope (whole entries, merged records as one child), as they stood at the end of the period: recorded
 * by then, and current.
 */
function entriesOf(types: readonly string[], p: TileParams): RawBuilder<{ person_id: string; event_type_code: string; type_label: string; factor_codes: string[]; implied_factors: string[] }> {
  return sql`(SELECT v.person_id, v.event_type_code, v.type_label, v.factor_codes, v.implied_factors
    FROM ${entryScope({ kind: 'partnership', purpose: 'oversight' }, { all: true, only: { types, from: p.from, to: p.to } })} v
    WHERE v.current AND v.sort_recorded_at < ${p.to} AND 'subject' = ANY(v.roles))`;
}

/** The same entries with when they happened and were recorded (the cohort's trend counts each month from them). */
export function datedEntriesOf(types: readonly string[], p: TileParams): RawBuilder<{ person_id: string; occurred_at: Date; recorded_at: Date }> {
  return sql`(SELECT v.person_id, v.occurred_at, v.sort_recorded_at AS recorded_at
    FROM ${entryScope({ kind: 'partnership', purpose: 'oversight' }, { all: true, only: { types, from: p.from, to: p.to } })} v
    WHERE v.current AND 'subject' = ANY(v.roles))`;
}

/** The cohort: children with an entry of extra-familial harm in the year; one row per child and factor. */
export const cohortTile = (efhTypeCodes: readonly string[]): TileDef => ({
  key: 'cohort',
  title: 'Children with extra-familial risk',
  description: 'Children of the partnership with an entry of extra-familial harm (exploitation, county lines, group violence, online harm, weapons) that happened in the twelve months before the date, by the harm recorded. A child with several harms is counted once in the total.',
  labelHeading: 'Harm', itemHeading: 'Entries',
  labels: EXTRA_FAMILIAL_FACTORS.map((code) => ({ code, text: FACTOR_TEXT[code]! })),
  items: (p) => sql<TileItem>`(SELECT e.person_id, f AS label
    FROM ${entriesOf(efhTypeCodes, p)} e
    CROSS JOIN LATERAL unnest(e.implied_factors || e.factor_codes) f
    WHERE f = ANY(${sql.val([...EXTRA_FAMILIAL_FACTORS])}::text[]))`,
});

/** Exclusions and suspensions in the period, by kind. */
export const exclusionsTile: TileDef = {
  key: 'exclusions',
  title: 'Exclusions and suspensions',
  description: 'Suspensions and permanent exclusions from school of the partnership\'s children that happened in the twelve months before the date.',
  labelHeading: 'Kind', itemHeading: 'Entries',
  labels: [{ code: 'suspension', text: 'Suspension' }, { code: 'permanent_exclusion', text: 'Permanent exclusion' }],
  items: (p) => sql<TileItem>`(SELECT e.person_id, e.event_type_code AS label FROM ${entriesOf(['suspension', 'permanent_exclusion'], p)} e)`,
};

/** Missing episodes that ended in the period, by where their return home interview stood at the date. */
export const missingTile: TileDef = {
  key: 'missing',
  title: 'Missing episodes and return home interviews',
  description: 'Missing episodes of the partnership\'s children that ended in the twelve months before the date, by where the return home interview stood at the date (72 hours from the return).',
  labelHeading: 'Return home interview', itemHeading: 'Episodes',
  labels: [
    { code: 'completed_in_time', text: 'Completed within 72 hours' },
    { code: 'completed_late', text: 'Completed after 72 hours' },
    { code: 'declined', text: 'Declined' },
    { code: 'overdue', text: 'Not completed, past 72 hours' },
    { code: 'due', text: 'Not completed, within 72 hours' },
  ],
  items: (p) => sql<TileItem>`(SELECT m.person_id,
      CASE
        WHEN ri.completed_at IS NOT NULL AND ri.completed_at < ${p.to} AND ri.completed_at <= m.returned_at + interval '72 hours' THEN 'completed_in_time'
        WHEN ri.completed_at IS NOT NULL AND ri.completed_at < ${p.to} THEN 'completed_late'
        WHEN (SELECT o.outcome FROM return_interview_outcome o WHERE o.interview_id = ri.id AND o.outcome_at < ${p.to}
              ORDER BY o.outcome_at DESC, o.id DESC LIMIT 1) = 'declined' THEN 'declined'
        WHEN m.returned_at + interval '72 hours' < ${p.to} THEN 'overdue'
        ELSE 'due' END AS label
    FROM missing_episode m
    LEFT JOIN return_interview ri ON ri.episode_id = m.id
    WHERE m.returned_at >= ${p.from} AND m.returned_at < ${p.to} AND m.created_at < ${p.to})`,
};

/** Plan actions open and past their due date at the date, by the owner's agency. */
export const overdueActionsTile: TileDef = {
  key: 'overdue-actions',
  title: 'Overdue plan actions by agency',
  description: 'Actions of the partnership\'s children\'s risk management plans that were open (not started or in progress) after their due date, at the date, by the agency that owns them.',
  labelHeading: 'Agency', itemHeading: 'Actions',
  items: (p) => sql<TileItem>`(SELECT rp.person_id, o.name AS label
    FROM plan_action a
    JOIN risk_plan rp ON rp.id = a.plan_id
    JOIN organisation o ON o.id = a.owner_organisation_id
    WHERE a.created_at < ${p.to} AND a.due_on < (${p.to}::timestamptz AT TIME ZONE 'UTC')::date
      AND coalesce((SELECT c.status FROM plan_action_status_change c WHERE c.action_id = a.id AND c.changed_at < ${p.to}
                    ORDER BY c.changed_at DESC, c.id DESC LIMIT 1), 'not_started') IN ('not_started', 'in_progress'))`,
};

/** Considerations raised in the period, by their decision at the date. */
export const considerationsTile: TileDef = {
  key: 'considerations',
  title: 'Considerations raised and decided',
  description: 'Considerations (early identification prompts) about the partnership\'s children raised in the twelve months before the date, by the decision made on them by the date.',
  labelHeading: 'Decision', itemHeading: 'Considerations',
  labels: [
    { code: 'offer_of_help', text: 'Offer of help' },
    { code: 'refer_to_panel', text: 'Referred to a panel' },
    { code: 'already_in_hand', text: 'Already in hand' },
    { code: 'no_action', text: 'No action' },
    { code: 'undecided', text: 'Awaiting a decision' },
  ],
  items: (p) => sql<TileItem>`(SELECT c.person_id,
      CASE WHEN d.decided_at < ${p.to} THEN d.decision ELSE 'undecided' END AS label
    FROM consideration c LEFT JOIN consideration_decision d ON d.consideration_id = c.id
    WHERE c.created_at >= ${p.from} AND c.created_at < ${p.to})`,
};

/** Offers of help answered in the period: accepted, or the barrier given. */
export const offersTile: TileDef = {
  key: 'offers',
  title: 'Offers of help and acceptance by barrier',
  description: 'Offers of help to the partnership\'s children answered in the twelve months before the date: accepted, or declined or not taken up with the barrier the family gave.',
  labelHeading: 'Answer', itemHeading: 'Offers',
  labels: [
    { code: 'accepted', text: 'Accepted' },
    { code: 'awareness', text: 'Not accepted: awareness' },
    { code: 'accessibility', text: 'Not accepted: accessibility' },
    { code: 'acceptability', text: 'Not accepted: acceptability' },
    { code: 'no_barrier', text: 'Not accepted: no barrier given' },
  ],
  items: (p) => sql<TileItem>`(SELECT f.person_id,
      CASE WHEN f.response = 'accepted' THEN 'accepted' ELSE coalesce(f.barrier, 'no_barrier') END AS label
    FROM offer_of_help f WHERE f.responded_at >= ${p.from} AND f.responded_at < ${p.to})`,
};

/** Transfers into the partnership waiting for its decision at the date. */
export const transfersTile: TileDef = {
  key: 'transfers',
  title: 'Transfers waiting',
  description: 'Children moved into the partnership whose transfer was waiting for the front door\'s decision at the date, escalated or not.',
  labelHeading: 'State', itemHeading: 'Transfers',
  ownPartnership: true,
  labels: [{ code: 'waiting', text: 'Waiting' }, { code: 'escalated', text: 'Waiting, escalated' }],
  items: (p) => sql<TileItem>`(SELECT t.person_id, CASE WHEN t.escalated_at < ${p.to} THEN 'escalated' ELSE 'waiting' END AS label
    FROM transfer t WHERE t.to_partnership_id = ${p.partnershipId} AND t.status <> 'pre_move'
      AND t.opened_at < ${p.to} AND (t.decided_at IS NULL OR t.decided_at >= ${p.to}))`,
};

/** Alerts raised in the period and whether they were acknowledged in time (by the "read before" time, else within a day). */
export const alertsTile: TileDef = {
  key: 'alerts',
  title: 'Alerts acknowledged in time',
  description: 'Alerts about the partnership\'s children raised in the twelve months before the date, and whether the recipient acknowledged them in time (by the "read before" time, else within 24 hours) by the date.',
  labelHeading: 'Acknowledged', itemHeading: 'Alerts',
  labels: [
    { code: 'in_time', text: 'In time' },
    { code: 'late', text: 'Late' },
    { code: 'not_yet', text: 'Not acknowledged' },
  ],
  items: (p) => sql<TileItem>`(SELECT a.person_id,
      CASE WHEN a.acknowledged_at IS NULL OR a.acknowledged_at >= ${p.to} THEN 'not_yet'
        WHEN a.acknowledged_at <= coalesce(a.respond_by, a.created_at + interval '24 hours') THEN 'in_time'
        ELSE 'late' END AS label
    FROM alert a WHERE a.created_at >= ${p.from} AND a.created_at < ${p.to})`,
};

/** How long an assessment may take from being started to being signed off. */
export const ASSESSMENT_DAYS = 45;

/**
 * Assessment and review timeliness: assessments started in the period, by whether they were signed off
 * within 45 days by the date; and the reviews due in the period (the review date of a signed-off
 * assessment, on or before the date), by whether a later assessment of the child was signed off by the
 * end of that day.
 */
export const assessmentsTile: TileDef = {
  key: 'assessments',
  title: 'Assessment and review timeliness',
  description: `Assessments of the partnership's children started in the twelve months before the date, by whether they were signed off within ${ASSESSMENT_DAYS} days by the date; and the reviews due in those months (the review date a signed-off assessment set), by whether a later assessment of the child was signed off by the review date.`,
  labelHeading: 'Assessment or review', itemHeading: 'Assessments or reviews',
  labels: [
    { code: 'assessment_in_time', text: `Assessment signed off within ${ASSESSMENT_DAYS} days` },
    { code: 'assessment_late', text: `Assessment signed off after ${ASSESSMENT_DAYS} days` },
    { code: 'assessment_overdue', text: `Assessment not signed off, past ${ASSESSMENT_DAYS} days` },
    { code: 'assessment_open', text: `Assessment not signed off, within ${ASSESSMENT_DAYS} days` },
    { code: 'review_on_time', text: 'Review held by its date' },
    { code: 'review_late', text: 'Review held after its date' },
    { code: 'review_not_held', text: 'Review not held, past its date' },
  ],
  items: (p) => sql<TileItem>`(SELECT a.person_id,
      CASE WHEN a.signed_off_at < ${p.to} AND a.signed_off_at <= a.created_at + ${sql.raw(`interval '${ASSESSMENT_DAYS} days'`)} THEN 'assessment_in_time'
        WHEN a.signed_off_at < ${p.to} THEN 'assessment_late'
        WHEN a.created_at + ${sql.raw(`interval '${ASSESSMENT_DAYS} days'`)} < ${p.to} THEN 'assessment_overdue'
        ELSE 'assessment_open' END AS label
    FROM assessment a WHERE a.created_at >= ${p.from} AND a.created_at < ${p.to}
    UNION ALL
    SELECT a.person_id,
      CASE WHEN r.signed_off_at IS NULL THEN 'review_not_held'
        WHEN r.signed_off_at < ((v.review_on + 1)::timestamp AT TIME ZONE 'UTC') THEN 'review_on_time'
        ELSE 'review_late' END AS label
    FROM assessment a
    JOIN assessment_version v ON v.assessment_id = a.id AND v.version = (SELECT max(x.version) FROM assessment_version x WHERE x.assessment_id = a.id)
    CROSS JOIN LATERAL (SELECT min(n.signed_off_at) AS signed_off_at FROM assessment n
      WHERE (n.person_id = a.person_id OR n.based_on_assessment_id = a.id) AND n.signed_off_at > a.signed_off_at AND n.signed_off_at < ${p.to}) r
    WHERE a.signed_off_at < ${p.to}
      AND v.review_on >= (${p.from}::timestamptz AT TIME ZONE 'UTC')::date AND v.review_on < (${p.to}::timestamptz AT TIME ZONE 'UTC')::date)`,
};

/**
 * What each invited agency owed each child heard at the partnership's panels in the period: one row per
 * child on the agenda of a meeting held (and recorded) by the date and agency invited to it (sent, not
 * left out), with the agency's name, its attendance and when it first submitted its update on the child.
 */
function panelDues(p: TileParams): RawBuilder<{ person_id: string; agency: string; attendance: string | null; held_at: Date; update_at: Date | null }> {
  return sql`(SELECT ai.person_id, o.name AS agency, i.attendance, m.held_at,
      (SELECT min(u.submitted_at) FROM panel_update u WHERE u.meeting_id = m.id AND u.person_id = ai.person_id
        AND u.organisation_id = i.organisation_id AND u.submitted_at < ${p.to}) AS update_at
    FROM panel_meeting m
    JOIN panel_type t ON t.id = m.panel_type_id
    JOIN panel_agenda_item ai ON ai.meeting_id = m.id
    JOIN panel_invitation i ON i.meeting_id = m.id AND i.sent_at IS NOT NULL AND i.excluded_reason IS NULL
    JOIN organisation o ON o.id = i.organisation_id
    WHERE t.partnership_id = ${p.partnershipId} AND m.status = 'held' AND m.recorded_at < ${p.to}
      AND m.held_at >= ${p.from} AND m.held_at < ${p.to})`;
}

/** Panel attendance by agency: each child heard at a held meeting, for each agency invited, whether it came. */
export const panelAttendanceTile: TileDef = {
  key: 'panel-attendance',
  title: 'Panel attendance by agency',
  description: 'Children heard at the partnership\'s panel meetings held in the twelve months before the date, for each agency invited: whether the agency attended, sent apologies or was absent (as the meeting record says).',
  labelHeading: 'Agency and attendance', itemHeading: 'Children heard',
  ownPartnership: true,
  items: (p) => sql<TileItem>`(SELECT d.person_id, d.agency || ': ' || CASE d.attendance WHEN 'attended' THEN 'attended' WHEN 'apologies' THEN 'apologies' ELSE 'absent' END AS label
    FROM ${panelDues(p)} d)`,
};

/** Panel updates on time by agency: each child heard at a held meeting, for each agency invited, when its update came. */
export const panelUpdatesTile: TileDef = {
  key: 'panel-updates',
  title: 'Panel updates on time by agency',
  description: 'Children heard at the partnership\'s panel meetings held in the twelve months before the date, for each agency invited: whether the agency\'s update on the child was submitted by the meeting, after it (by the date), or not at all.',
  labelHeading: 'Agency and update', itemHeading: 'Updates due',
  ownPartnership: true,
  items: (p) => sql<TileItem>`(SELECT d.person_id, d.agency || ': ' || CASE WHEN d.update_at IS NULL THEN 'no update'
      WHEN d.update_at <= d.held_at THEN 'on time' ELSE 'late' END AS label
    FROM ${panelDues(p)} d)`,
};

/** The tiles in the dashboard's order, given the entry types of extra-familial harm. */
export function tilesOf(efhTypeCodes: readonly string[]): TileDef[] {
  return [cohortTile(efhTypeCodes), missingTile, overdueActionsTile, considerationsTile, exclusionsTile, assessmentsTile, offersTile, transfersTile, alertsTile, panelAttendanceTile, panelUpdatesTile];
}

/** The tiles' keys, for validating addresses. */
export const TILE_KEYS = ['cohort', 'missing', 'overdue-actions', 'considerations', 'exclusions', 'assessments', 'offers', 'transfers', 'alerts', 'panel-attendance', 'panel-updates'] as const;
/** A tile's key. */
export type TileKey = (typeof TILE_KEYS)[number];

