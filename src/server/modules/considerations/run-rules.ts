import { sql, type Insertable, type Kysely } from 'kysely';
import type { ConsiderationTable, Database } from '../../../db/database.js';
import { evaluateExposure, evaluateRule, evidenceKey, type Labels, type RuleEvent } from '../../../domain/rules/evaluate.js';
import { codesUsed, cooldownDays, lookbackDays, type RuleDefinition } from '../../../domain/rules/rule-language.js';
import { recordAccessMany } from '../../audit/record-access.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { exposuresInNetworks, type FoundExposure } from '../networks/exposure.queries.js';
import { anchorsOf } from '../networks/networks.queries.js';
import { loadActiveRules, type ActiveRule } from './rules.queries.js';

const DAY = 86_400_000;

/** A rule matched a child: what would become a consideration. */
export interface Candidate {
  personId: string;
  rule: ActiveRule;
  eventIds: string[];
  explanation: string;
}

/** What a run did. */
export interface RunReport {
  rules: number;
  children: number;
  eventsRead: number;
  matches: number;
  created: number;
  suppressedByCooldown: number;
  alreadyRaised: number;
  /** Children with relevant events in no partnership (no address in an area, nobody working with them): no rules run for them. */
  withoutPartnership: number;
  durationMs: number;
}

interface EventRow {
  person_id: string;
  id: string;
  event_type_code: string;
  occurred_at: Date;
  factor_codes: string[];
  implies_factors: string[];
  summary: string | null;
  incident_id: string | null;
}

/**
 * The events rules can see, as SQL: current (not superseded) entries in the longest rule period,
 * of children (under 18 or age unknown), whose type or factors some rule looks at. Entries come
 * through the chronology's scope, so merged records are read as one child (the surviving record),
 * and a child's part in an entry only as a parent does not count.
 */
function eventsSql(rules: ActiveRule[], asOf: Date, personIds: string[] | null) {
  const from = new Date(asOf.getTime() - Math.max(...rules.map((r) => lookbackDays(r.definition))) * DAY);
  const types = [...new Set(rules.flatMap((r) => codesUsed(r.definition).eventTypes))];
  const factors = [...new Set(rules.flatMap((r) => codesUsed(r.definition).factors))];
  const scope = entryScope({ kind: 'partnership', purpose: 'rules' }, personIds ? { ids: personIds } : { all: true });
  return sql<EventRow>`
    SELECT v.person_id, v.id, v.event_type_code, v.occurred_at, v.factor_codes, v.implied_factors AS implies_factors, v.summary,
      (SELECT ie.incident_id FROM incident_entry ie WHERE ie.event_id = v.id) AS incident_id
    FROM ${scope} v
    JOIN person p ON p.id = v.person_id
    WHERE v.current AND v.occurred_at > ${from} AND v.occurred_at <= ${asOf}
      AND NOT v.roles <@ ARRAY['parent']::text[]
      AND (p.date_of_birth IS NULL OR p.date_of_birth > (${asOf}::timestamptz - interval '18 years')::date)
      AND (v.event_type_code = ANY(${sql.val(types)}::text[]) OR v.factor_codes && ${sql.val(factors)}::text[] OR v.implied_factors && ${sql.val(factors)}::text[])
    ORDER BY v.person_id, v.occurred_at, v.id`;
}

function toRuleEvent(r: EventRow): RuleEvent {
  return { id: r.id, eventTypeCode: r.event_type_code, occurredAt: new Date(r.occurred_at), factors: [...r.factor_codes, ...r.implies_factors], summary: r.summary, incidentId: r.incident_id };
}

const labelCache = new WeakMap<object, { at: number; labels: Labels }>();
const LABELS_TTL_MS = 60_000;

/**
 * The vocabulary's labels, so explanations read as the pages do. Kept for a minute per database
 * handle, since every new event needs them and they change only when a factor is revised.
 */
export async function loadLabels(db: Kysely<Database>): Promise<Labels> {
  const cached = labelCache.get(db);
  if (cached && Date.now() - cached.at < LABELS_TTL_MS) return cached.labels;
  const labels = await readLabels(db);
  labelCache.set(db, { at: Date.now(), labels });
  return labels;
}

async function readLabels(db: Kysely<Database>): Promise<Labels> {
  const [types, factors] = await Promise.all([
    db.selectFrom('event_type').select(['code', 'label']).execute(),
    db.selectFrom('factor').select(['code', 'label']).execute(),
  ]);
  const t = new Map(types.map((x) => [x.code, x.label]));
  const f = new Map(factors.map((x) => [x.code, x.label]));
  return { eventType: (c) => t.get(c), factor: (c) => f.get(c) };
}

/** Active rules grouped by the partnership they run for. */
function byPartnership(rules: ActiveRule[]): Map<string, ActiveRule[]> {
  const out = new Map<string, ActiveRule[]>();
  for (const r of rules) out.set(r.partnershipId, [...(out.get(r.partnershipId) ?? []), r]);
  return out;
}

/**
 * The partnership whose rules read each child (the child's surviving record), for the given
 * children or, with null, for every child: the partnership of the child's current address
 * (person_partnership); for a child whose address is in no partnership's area (or unknown), the
 * home partnership of the organisation working with them (the lead professional's, else the most
 * recently started active involvement's). A child with neither is in no partnership.
 */
export async function partnershipsOf(db: Kysely<Database>, personIds: string[] | null): Promise<Map<string, string>> {
  if (personIds !== null && personIds.length === 0) return new Map();
  const only = (column: string) => (personIds === null ? sql`` : sql`AND ${sql.ref(column)} = ANY(${sql.val(personIds)}::uuid[])`);
  const { rows } = await sql<{ person_id: string; partnership_id: string }>`
    WITH placed AS (
      SELECT pp.person_id, pp.partnership_id FROM person_partnership pp WHERE true ${only('pp.person_id')}
    ),
    working AS (
      SELECT DISTINCT ON (i.person_id) i.person_id, pa.partnership_id
      FROM involvement i
      JOIN organisation o ON o.id = i.organisation_id
      JOIN partnership_area pa ON pa.borough = o.borough
      WHERE i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date) ${only('i.person_id')}
        AND NOT EXISTS (SELECT 1 FROM placed x WHERE x.person_id = i.person_id)
      ORDER BY i.person_id, (i.role = 'lead_professional') DESC, i.started_on DESC, i.id
    )
    SELECT person_id, partnership_id FROM placed UNION ALL SELECT person_id, partnership_id FROM working`.execute(db);
  return new Map(rows.map((r) => [r.person_id, r.partnership_id]));
}

/** Evaluates every rule for one child's events. */
export function evaluateChild(rules: ActiveRule[], personId: string, events: RuleEvent[], asOf: Date, labels?: Labels): Candidate[] {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  const out: Candidate[] = [];
  for (const rule of rules) {
    if (rule.definition.kind === 'network_exposure') continue;
    const m = evaluateRule(rule.definition, unique, asOf, labels);
    if (m) out.push({ personId, rule, eventIds: m.eventIds, explanation: m.explanation });
  }
  return out;
}

type NetworkRule = ActiveRule & { definition: Extract<RuleDefinition, { kind: 'network_exposure' }> };
const isNetworkRule = (r: ActiveRule): r is NetworkRule => r.definition.kind === 'network_exposure';

/**
 * Exposure to violence (rules over the network rather than a child's own chronology): the exposures the
 * partnership's relationships give, found once for the widest of the active rules, then each child's
 * exposures against the network rules of the child's partnership. After new entries (`touching`: the
 * people they name), only children whose exposure runs through one of those people (the child, the
 * victim or the person between) are read: a new victim's network, or a child with a new link.
 */
async function networkCandidates(db: Kysely<Database>, rules: ActiveRule[], asOf: Date, touching: string[] | null): Promise<{ candidates: Candidate[]; children: number; withoutPartnership: number }> {
  const networkRules = rules.filter(isNetworkRule);
  if (networkRules.length === 0 || (touching !== null && touching.length === 0)) return { candidates: [], children: 0, withoutPartnership: 0 };
  const found = await exposuresInNetworks(db, { kind: 'partnership', purpose: 'rules' }, {
    kinds: [...new Set(networkRules.flatMap((r) => r.definition.incidentKinds))],
    withinDays: Math.max(...networkRules.map((r) => r.definition.withinDays)),
    steps: networkRules.some((r) => r.definition.steps === 2) ? 2 : 1,
  }, asOf);
  let relevant = found;
  if (touching !== null) {
    const anchors = await anchorsOf(db, touching);
    const t = new Set([...touching, ...anchors.values()]);
    relevant = found.filter((f) => t.has(f.childId) || t.has(f.exposure.victimId) || (f.via !== null && t.has(f.via)));
  }
  const byChild = new Map<string, FoundExposure[]>();
  for (const f of relevant) byChild.set(f.childId, [...(byChild.get(f.childId) ?? []), f]);
  const partnershipOf = await partnershipsOf(db, [...byChild.keys()]);
  const candidates: Candidate[] = [];
  let withoutPartnership = 0;
  for (const [personId, list] of byChild) {
    const p = partnershipOf.get(personId);
    if (!p) { withoutPartnership += 1; continue; }
    for (const rule of networkRules.filter((r) => r.partnershipId === p)) {
      const m = evaluateExposure(rule.definition, list.map((f) => f.exposure), asOf);
      if (m) candidates.push({ personId, rule, eventIds: m.eventIds, explanation: m.explanation });
    }
  }
  return { candidates, children: byChild.size, withoutPartnership };
}

/**
 * Runs the active rules for some children (after a new event): each child against the rules of
 * their own partnership (partnershipsOf). A child in no partnership (no address in an area and no
 * organisation working with them) is read against no rules (counted as withoutPartnership); their
 * entries stay, and the rules see them once the child has a partnership (the next entry, or the
 * full pass). Creates considerations; never acts on a child.
 */
export async function runRulesFor(db: Kysely<Database>, personIds: string[], opts: { asOf?: Date; via?: 'event' | 'full_pass' } = {}): Promise<RunReport> {
  const started = performance.now();
  const asOf = opts.asOf ?? new Date();
  const allRules = await loadActiveRules(db);
  if (allRules.length === 0 || personIds.length === 0) return emptyReport(allRules.length, started);
  const network = await networkCandidates(db, allRules, asOf, personIds);
  const rules = allRules.filter((r) => !isNetworkRule(r));
  const [{ rows }, labels] = rules.length ? await Promise.all([eventsSql(rules, asOf, personIds).execute(db), loadLabels(db)]) : [{ rows: [] as EventRow[] }, undefined];
  const byPerson = new Map<string, RuleEvent[]>();
  for (const r of rows) byPerson.set(r.person_id, [...(byPerson.get(r.person_id) ?? []), toRuleEvent(r)]);
  const [partnershipOf, rulesOf] = [await partnershipsOf(db, [...byPerson.keys()]), byPartnership(rules)];
  let withoutPartnership = 0;
  const candidates = [...byPerson].flatMap(([personId, events]) => {
    const p = partnershipOf.get(personId);
    if (!p) withoutPartnership += 1;
    return p ? evaluateChild(rulesOf.get(p) ?? [], personId, events, asOf, labels) : [];
  });
  candidates.push(...network.candidates);
  const created = await createConsiderations(db, candidates, asOf, opts.via ?? 'event');
  return {
    rules: allRules.length, children: byPerson.size + network.children, eventsRead: rows.length, matches: candidates.length, ...created,
    withoutPartnership: withoutPartnership + network.withoutPartnership, durationMs: performance.now() - started,
  };
}

/**
 * The full pass: every child's chronology against every active rule. Events stream through a
 * cursor in child order, so memory holds one child's events at a time; considerations are
 * written after the read completes (PGlite has one connection, which the cursor holds).
 */
export async function runFullPass(db: Kysely<Database>, opts: { asOf?: Date; batch?: number } = {}): Promise<RunReport> {
  const started = performance.now();
  const asOf = opts.asOf ?? new Date();
  const batch = opts.batch ?? 20_000;
  const allRules = await loadActiveRules(db);
  if (allRules.length === 0) return emptyReport(0, started);
  const network = await networkCandidates(db, allRules, asOf, null);
  const rules = allRules.filter((r) => !isNetworkRule(r));
  const labels = await loadLabels(db);
  const [partnershipOf, rulesOf] = [await partnershipsOf(db, null), byPartnership(rules)];
  const candidates: Candidate[] = [...network.candidates];
  let eventsRead = 0;
  let children = network.children;
  let withoutPartnership = network.withoutPartnership;
  if (rules.length) await db.transaction().execute(async (trx) => {
    // A cursor is planned for its first rows by default; the pass reads them all, so plan for the whole result.
    await sql`SET LOCAL cursor_tuple_fraction = 1.0`.execute(trx);
    await sql`DECLARE rules_full_pass NO SCROLL CURSOR FOR ${eventsSql(rules, asOf, null)}`.execute(trx);
    let current: string | null = null;
    let events: RuleEvent[] = [];
    const flush = () => {
      if (current !== null) {
        const p = partnershipOf.get(current);
        if (p) candidates.push(...evaluateChild(rulesOf.get(p) ?? [], current, events, asOf, labels));
        else withoutPartnership += 1;
        children += 1;
      }
    };
    for (;;) {
      const { rows } = await sql<EventRow>`FETCH ${sql.raw(String(batch))} FROM rules_full_pass`.execute(trx);
      for (const r of rows) {
        if (r.person_id !== current) {
          flush();
          current = r.person_id;
          events = [];
        }
        events.push(toRuleEvent(r));
      }
      eventsRead += rows.length;
      if (rows.length < batch) break;
    }
    flush();
    await sql`CLOSE rules_full_pass`.execute(trx);
  });
  const created = await createConsiderations(db, candidates, asOf, 'full_pass');
  return { rules: allRules.length, children, eventsRead, matches: candidates.length, ...created, withoutPartnership, durationMs: performance.now() - started };
}

function emptyReport(rules: number, started: number): RunReport {
  return { rules, children: 0, eventsRead: 0, matches: 0, created: 0, suppressedByCooldown: 0, alreadyRaised: 0, withoutPartnership: 0, durationMs: performance.now() - started };
}

const CHUNK = 2000;

/**
 * Writes considerations for matches, each addressed to the child's lead professional or, if there
 * is none, to the front door of the child's partnership (its configured front door, else its
 * first early help organisation). The same rule version and the
 * same evidence never make a second consideration (a unique key, so concurrent runs agree); a
 * rule's cool-down stops a sliding window prompting again while an earlier prompt stands.
 */
export async function createConsiderations(
  db: Kysely<Database>, candidates: Candidate[], asOf: Date, via: 'event' | 'full_pass',
): Promise<Pick<RunReport, 'created' | 'suppressedByCooldown' | 'alreadyRaised'>> {
  let created = 0;
  let suppressedByCooldown = 0;
  let alreadyRaised = 0;
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    const personIds = [...new Set(chunk.map((c) => c.personId))];
    const [last, recipients] = await Promise.all([lastRaised(db, personIds), recipientsFor(db, personIds)]);
    const rows: Insertable<ConsiderationTable>[] = [];
    for (const c of chunk) {
      const key = evidenceKey(c.eventIds);
      const previous = last.get(`${c.rule.code}:${c.personId}`);
      // The same evidence under the same rule (its code: any version, and any partnership's copy of it,
      // so a child who moves, or a rule copied from the default set, does not raise it again) is not raised twice.
      if (previous?.keys.has(key)) {
        alreadyRaised += 1;
        continue;
      }
      if (previous && previous.at.getTime() > asOf.getTime() - cooldownDays(c.rule.definition) * DAY) {
        suppressedByCooldown += 1;
        continue;
      }
      const to = recipients.get(c.personId) ?? { kind: 'unrouted', userId: null, teamId: null, organisationId: null };
      rows.push({
        person_id: c.personId, rule_version_id: c.rule.ruleVersionId, evidence_key: key, matched_event_ids: c.eventIds,
        explanation: c.explanation, recipient_kind: to.kind, recipient_user_id: to.userId, recipient_team_id: to.teamId,
        recipient_organisation_id: to.organisationId, created_via: via,
      });
    }
    if (rows.length === 0) continue;
    await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('consideration')
        .values(rows)
        .onConflict((oc) => oc.columns(['rule_version_id', 'person_id', 'evidence_key']).doNothing())
        .returning(['id', 'person_id', 'rule_version_id', 'recipient_kind'])
        .execute();
      alreadyRaised += rows.length - inserted.length;
      created += inserted.length;
      // The system writes to a child's record: each consideration is in the access log.
      await recordAccessMany(trx, inserted.map((c) => ({
        actor: null, action: 'consideration.create' as const, personId: c.person_id, route: via === 'event' ? 'rules: new event' : 'rules: full pass',
        outcome: 'allowed' as const, detail: { considerationId: c.id, ruleVersionId: c.rule_version_id, recipient: c.recipient_kind },
      })));
    });
  }
  return { created, suppressedByCooldown, alreadyRaised };
}

async function lastRaised(db: Kysely<Database>, personIds: string[]) {
  const rows = await db
    .selectFrom('consideration as c')
    .innerJoin('rule_version as v', 'v.id', 'c.rule_version_id')
    .innerJoin('rule as r', 'r.id', 'v.rule_id')
    .select(['c.person_id', 'r.code', 'c.evidence_key', 'c.created_at'])
    .where('c.person_id', 'in', personIds)
    .execute();
  const out = new Map<string, { at: Date; keys: Set<string> }>();
  for (const r of rows) {
    const k = `${r.code}:${r.person_id}`;
    const entry = out.get(k) ?? { at: r.created_at, keys: new Set<string>() };
    if (r.created_at > entry.at) entry.at = r.created_at;
    entry.keys.add(r.evidence_key);
    out.set(k, entry);
  }
  return out;
}

type Recipient = { kind: 'lead_professional' | 'front_door'; userId: string | null; teamId: string | null; organisationId: string };

/** The lead professional of each child, else the front door of the partnership of the child's current address. */
export async function recipientsFor(db: Kysely<Database>, personIds: string[]): Promise<Map<string, Recipient>> {
  const out = new Map<string, Recipient>();
  if (personIds.length === 0) return out;
  const leads = await sql<{ person_id: string; user_id: string | null; team_id: string | null; organisation_id: string }>`
    SELECT DISTINCT ON (person_id) person_id, user_id, team_id, organisation_id FROM involvement
    WHERE person_id = ANY(${sql.val(personIds)}::uuid[]) AND role = 'lead_professional'
      AND started_on <= current_date AND (ended_on IS NULL OR ended_on >= current_date)
    ORDER BY person_id, started_on DESC, id`.execute(db);
  for (const l of leads.rows) out.set(l.person_id, { kind: 'lead_professional', userId: l.user_id, teamId: l.team_id, organisationId: l.organisation_id });
  const rest = personIds.filter((p) => !out.has(p));
  if (rest.length === 0) return out;
  const doors = await sql<{ person_id: string; organisation_id: string; team_id: string | null }>`
    WITH early_help AS (
      SELECT DISTINCT ON (op.partnership_id) op.partnership_id, o.id FROM organisation o
      JOIN organisation_partnership op ON op.organisation_id = o.id
      WHERE o.kind = 'early_help' ORDER BY op.partnership_id, o.created_at, o.id
    )
    SELECT h.person_id, coalesce(f.organisation_id, eh.id) AS organisation_id, f.team_id
    FROM person_partnership h
    LEFT JOIN partnership_front_door f ON f.partnership_id = h.partnership_id
    LEFT JOIN early_help eh ON eh.partnership_id = h.partnership_id
    WHERE h.person_id = ANY(${sql.val(rest)}::uuid[]) AND coalesce(f.organisation_id, eh.id) IS NOT NULL`.execute(db);
  for (const d of doors.rows) out.set(d.person_id, { kind: 'front_door', userId: null, teamId: d.team_id, organisationId: d.organisation_id });
  return out;
}
