import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { versionAt } from '../../../domain/factors/factor-versions.js';
import { RISK_LEVEL_LABELS, type RiskLevel } from '../../../domain/factors/risk-levels.js';
import type { Actor } from '../../actor.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { decideAssessment } from './assessments.policy.js';
import { listAssessments, type AssessmentSummary } from './assessments.queries.js';

/** One event that evidences a factor, with the factor's meaning when the event was recorded. */
export interface FactorEvidence {
  eventId: string;
  label: string;
  occurredAt: Date;
  occurredPrecision: string;
  organisationName: string;
  implied: boolean;
  factorVersion: number;
  definitionAtRecording: string;
}

/** A factor seen in the child's chronology. */
export interface FactorSeen {
  code: string;
  label: string;
  kind: string;
  currentVersion: number;
  definition: string;
  cinFactors: string[];
  events: FactorEvidence[];
}

/** What the person page shows about risk: the current level, factors with their evidence, the assessment history. */
export interface RiskPanel {
  personId: string;
  current: (AssessmentSummary & { levelLabel: string | null; overdue: boolean }) | null;
  factors: FactorSeen[];
  hiddenRestricted: number;
  assessments: (AssessmentSummary & { levelLabel: string | null })[];
  canStart: boolean;
}

const EVENT_LIMIT = 1000;

/**
 * Loads the risk panel for a person the actor has already been authorised to read (the person
 * page's own access-log row covers it). Entries withheld from the actor (restricted, or not shared
 * with their organisation) are left out of the factor list, since a factor would reveal what they are about.
 */
export async function loadRiskPanel(db: Kysely<Database>, actor: Actor, personId: string): Promise<RiskPanel> {
  const [assessments, entries] = await Promise.all([
    listAssessments(db, personId),
    // Merged records are read as one child; an entry withheld from the actor has no factors here.
    db
      .selectFrom(entryScope(actor, { ids: [personId] }).as('v'))
      .select(['v.id', 'v.type_label', 'v.occurred_at', 'v.occurred_precision', 'v.recorded_at', 'v.organisation_name', 'v.access', 'v.factor_codes', 'v.implied_factors'])
      .where('v.current', '=', true)
      .where(sql<boolean>`(v.access <> 'full' OR cardinality(v.factor_codes) > 0 OR cardinality(v.implied_factors) > 0)`)
      .orderBy('v.occurred_at', 'desc')
      .limit(EVENT_LIMIT)
      .execute(),
  ]);
  const visible = entries.filter((e): e is typeof e & { recorded_at: Date; type_label: string } => e.access === 'full');
  const codes = [...new Set(visible.flatMap((e) => [...e.factor_codes, ...e.implied_factors]))];
  const versions = codes.length
    ? await db.selectFrom('factor_version').selectAll().where('code', 'in', codes).orderBy('code').orderBy('version').execute()
    : [];
  const byCode = new Map<string, typeof versions>();
  for (const v of versions) byCode.set(v.code, [...(byCode.get(v.code) ?? []), v]);

  const factors = new Map<string, FactorSeen>();
  for (const e of visible) {
    const explicit = new Set(e.factor_codes);
    for (const code of new Set([...e.factor_codes, ...e.implied_factors])) {
      const history = (byCode.get(code) ?? []).map((v) => ({ ...v, effectiveFrom: v.effective_from }));
      const latest = history[history.length - 1];
      const then = versionAt(history, e.recorded_at) ?? latest;
      if (!latest || !then) continue;
      const seen = factors.get(code) ?? {
        code, label: latest.label, kind: latest.kind, currentVersion: latest.version, definition: latest.definition, cinFactors: latest.cin_factors, events: [],
      };
      seen.events.push({
        eventId: e.id, label: e.type_label, occurredAt: e.occurred_at, occurredPrecision: e.occurred_precision, organisationName: e.organisation_name,
        implied: !explicit.has(code), factorVersion: then.version, definitionAtRecording: then.definition,
      });
      factors.set(code, seen);
    }
  }
  const order = { risk: 0, vulnerability: 1, protective: 2 } as Record<string, number>;
  const label = (l: string | null) => (l ? RISK_LEVEL_LABELS[l as RiskLevel] : null);
  const readable = assessments.filter((a) => decideAssessment(actor, 'assessment.read', { ...a, assessorUserId: '', personId }, true));
  const currentSigned = readable.filter((a) => a.status === 'signed_off').sort((a, b) => b.signedOffAt!.getTime() - a.signedOffAt!.getTime())[0];
  const today = new Date().toISOString().slice(0, 10);
  return {
    personId,
    current: currentSigned ? { ...currentSigned, levelLabel: label(currentSigned.level), overdue: currentSigned.reviewOn !== null && currentSigned.reviewOn < today } : null,
    factors: [...factors.values()].sort((a, b) => (order[a.kind] ?? 9) - (order[b.kind] ?? 9) || b.events.length - a.events.length || a.label.localeCompare(b.label)),
    hiddenRestricted: entries.length - visible.length,
    assessments: readable.map((a) => ({ ...a, levelLabel: label(a.level) })),
    canStart: decideAssessment(actor, 'assessment.create', null, true),
  };
}
