import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { RuleDefinitionSchema, describeRule } from '../../../domain/rules/rule-language.js';
import type { Actor } from '../../actor.js';
import { RELATIONSHIP_KINDS, type RelationshipKind } from '../../../domain/networks/kinds.js';
import { entriesById, entryScope } from '../chronology/chronology.policy.js';
import { entryLabel } from '../chronology/chronology.presenter.js';
import { exposurePaths } from '../networks/exposure.queries.js';
import { displayNames } from '../people/people.queries.js';
import type { ConsiderationAddress } from './considerations.policy.js';
import { visibleConsiderationIds } from './considerations.policy.js';

/** A line in the inbox. */
export interface InboxItem {
  id: string;
  personId: string;
  personName: string;
  ruleName: string;
  ruleVersion: number;
  events: number;
  createdAt: Date;
  recipientKind: string;
  decision: string | null;
}

/** The actor's considerations, awaiting a decision or decided, newest first. */
export async function inbox(db: Kysely<Database>, actor: Actor, show: 'open' | 'decided', limit = 200): Promise<InboxItem[]> {
  const rows = await db
    .selectFrom('consideration as c')
    .innerJoin('rule_version as v', 'v.id', 'c.rule_version_id')
    .leftJoin('consideration_decision as d', 'd.consideration_id', 'c.id')
    .select(['c.id', 'c.person_id', 'v.name', 'v.version', 'c.matched_event_ids', 'c.created_at', 'c.recipient_kind', 'd.decision'])
    .where('c.id', 'in', visibleConsiderationIds(db, actor))
    .where(show === 'open' ? sql<boolean>`d.consideration_id IS NULL` : sql<boolean>`d.consideration_id IS NOT NULL`)
    .orderBy('c.created_at', 'desc')
    .limit(limit)
    .execute();
  const names = await displayNames(db, [...new Set(rows.map((r) => r.person_id))]);
  return rows.map((r) => ({
    id: r.id, personId: r.person_id, personName: names.get(r.person_id) ?? 'Name not recorded', ruleName: r.name, ruleVersion: r.version,
    events: r.matched_event_ids.length, createdAt: r.created_at, recipientKind: r.recipient_kind, decision: r.decision,
  }));
}

/** A consideration with its rule version, its evidence and any decision. */
export interface ConsiderationDetail extends ConsiderationAddress {
  id: string;
  personId: string;
  personName: string;
  createdAt: Date;
  createdVia: string;
  explanation: string;
  recipientOrganisationName: string | null;
  rule: { code: string; version: number; name: string; rationale: string; description: string };
  events: { id: string; label: string; occurredAt: Date; occurredPrecision: string; organisationName: string; summary: string | null; restricted: boolean; superseded: boolean }[];
  decision: { decision: string; service: string | null; reason: string | null; decidedAt: Date; decidedByName: string } | null;
  /**
   * For a rule over the network (exposure to violence): how the child is linked to the victim, as this reader
   * may see it (null for other rules). Empty when every link runs through something the reader may not see.
   */
  exposure: { steps: number; victimName: string; links: { from: string; to: string; how: string; evidence: string; reliability: string }[] }[] | null;
}

/** Loads one consideration (the caller authorises it). The evidence is always the events it was created with. */
export async function getConsideration(db: Kysely<Database>, actor: Actor, id: string): Promise<ConsiderationDetail | null> {
  const c = await db
    .selectFrom('consideration as c')
    .innerJoin('rule_version as v', 'v.id', 'c.rule_version_id')
    .innerJoin('rule as r', 'r.id', 'v.rule_id')
    .leftJoin('organisation as o', 'o.id', 'c.recipient_organisation_id')
    .leftJoin('consideration_decision as d', 'd.consideration_id', 'c.id')
    .leftJoin('app_user as u', 'u.id', 'd.decided_by_user_id')
    .select([
      'c.id', 'c.person_id', 'c.created_at', 'c.created_via', 'c.explanation', 'c.matched_event_ids', 'c.recipient_kind', 'c.recipient_user_id',
      'c.recipient_team_id', 'c.recipient_organisation_id', 'o.name as recipient_organisation_name', 'r.code', 'v.version', 'v.name', 'v.rationale',
      'v.definition', 'd.decision', 'd.service', 'd.reason', 'd.decided_at', 'u.name as decided_by_name',
    ])
    .where('c.id', '=', id)
    .executeTakeFirst();
  if (!c) return null;
  const parsed = RuleDefinitionSchema.safeParse(typeof c.definition === 'string' ? JSON.parse(c.definition) : c.definition);
  const network = parsed.success && parsed.data.kind === 'network_exposure' ? parsed.data : null;
  // The evidence as the actor may see it: withheld entries keep their date and organisation only. A rule over the
  // network matched another person's entry (the victim's), found by its id; its words are not shown here.
  const events = network
    ? (await sql<{ id: string; type_label: string | null; access: 'full' | 'restricted' | 'not_shared'; occurred_at: Date; organisation_name: string; current: boolean }>`
        SELECT ve.id, ve.type_label, ve.access, ve.occurred_at, ve.organisation_name, ve.current FROM ${entriesById(actor)} ve
        WHERE ve.id = ANY(${sql.val(c.matched_event_ids)}::uuid[]) ORDER BY ve.occurred_at`.execute(db)).rows
      .map((e) => ({ ...e, occurred_precision: 'day', summary: null as string | null }))
    : await db
      .selectFrom(entryScope(actor, { ids: [c.person_id], entries: c.matched_event_ids }).as('v'))
      .select(['v.id', 'v.type_label', 'v.access', 'v.occurred_at', 'v.occurred_precision', 'v.organisation_name', 'v.summary', 'v.current'])
      .orderBy('v.occurred_at')
      .execute();
  const paths = network ? await exposurePaths(db, actor, c.person_id, c.matched_event_ids, network.steps === 1 ? 1 : 2) : [];
  const names = await displayNames(db, [c.person_id, ...paths.flatMap((p) => [p.victimId, ...p.edges.flatMap((e) => [e.a, e.b])])]);
  const nameOf = (id: string) => names.get(id) ?? 'Name not recorded';
  const how = (kind: string) => (kind in RELATIONSHIP_KINDS ? RELATIONSHIP_KINDS[kind as RelationshipKind] : kind.replaceAll('_', ' '));
  return {
    id: c.id, personId: c.person_id, personName: names.get(c.person_id) ?? 'Name not recorded', createdAt: c.created_at, createdVia: c.created_via,
    explanation: c.explanation, recipientKind: c.recipient_kind, recipientUserId: c.recipient_user_id, recipientTeamId: c.recipient_team_id,
    recipientOrganisationId: c.recipient_organisation_id, recipientOrganisationName: c.recipient_organisation_name, decided: c.decision !== null,
    rule: { code: c.code, version: c.version, name: c.name, rationale: c.rationale, description: parsed.success ? describeRule(parsed.data) : 'Definition not readable' },
    events: events.map((e) => ({
      id: e.id, label: entryLabel(e), occurredAt: e.occurred_at, occurredPrecision: e.occurred_precision,
      organisationName: e.organisation_name, summary: e.summary, restricted: e.access !== 'full', superseded: !e.current,
    })),
    decision: c.decision ? { decision: c.decision, service: c.service, reason: c.reason, decidedAt: c.decided_at!, decidedByName: c.decided_by_name ?? '' } : null,
    exposure: network ? paths.map((p) => ({
      steps: p.steps, victimName: nameOf(p.victimId),
      links: p.edges.map((e) => ({ from: nameOf(e.a), to: nameOf(e.b), how: how(e.kind), evidence: e.evidence, reliability: e.reliability })),
    })) : null,
  };
}
