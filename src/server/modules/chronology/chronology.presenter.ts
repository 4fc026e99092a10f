import type { EntryAccess } from './chronology.policy.js';
import type { ChronologyEntry, ChronologyPage } from './chronology.queries.js';

/** An entry as shown to one actor: an explicit whitelist, with restricted content withheld. */
export interface PresentedEntry {
  id: string;
  restricted: boolean;
  /** Why the content is withheld from this actor, if it is. */
  withheld: 'restricted' | 'not_shared' | null;
  /** For a restricted entry: whom to ask about it (shown even when the content is withheld). */
  restrictedContact: string | null;
  eventType: { code: string; label: string; category: string; vocabularyVersion: string };
  occurredAt: string;
  occurredPrecision: string;
  organisation: { id: string; name: string; kind: string };
  provenance: {
    recordedAt: string;
    recordedBy: string | null;
    recordedVia: string;
    sourceSystem: string;
    sourceRecordId: string | null;
    reliability: string;
  } | null;
  summary: string | null;
  narrative: string | null;
  place: string | null;
  factorCodes: string[];
  impliedFactorCodes: string[];
  personRoles: string[];
  correction: { supersedes: string; reason: string } | null;
  earlierVersions: PresentedEntry[];
}

/** Presents one entry. What is withheld was decided in SQL (chronology.policy.ts); this only shapes the fields. */
export function presentEntry(entry: ChronologyEntry & { earlierVersions?: ChronologyEntry[] }): PresentedEntry {
  const withheld = entry.access === 'full' ? null : entry.access;
  const full = withheld === null;
  return {
    id: entry.id,
    restricted: entry.sensitivity === 'restricted',
    withheld,
    restrictedContact: entry.restricted_contact,
    eventType: withheld === 'not_shared'
      ? { code: 'not_shared', label: WITHHELD_LABELS.not_shared, category: entry.category, vocabularyVersion: entry.vocabulary_version }
      : withheld === 'restricted'
        ? { code: 'restricted', label: WITHHELD_LABELS.restricted, category: entry.category, vocabularyVersion: entry.vocabulary_version }
        : { code: entry.event_type_code ?? '', label: entry.type_label ?? '', category: entry.category, vocabularyVersion: entry.vocabulary_version },
    occurredAt: entry.occurred_at.toISOString(),
    occurredPrecision: entry.occurred_precision,
    organisation: { id: entry.organisation_id, name: entry.organisation_name, kind: entry.organisation_kind },
    provenance: full && entry.recorded_at
      ? {
          recordedAt: entry.recorded_at.toISOString(),
          recordedBy: entry.recorded_by_name,
          recordedVia: entry.recorded_via ?? '',
          sourceSystem: entry.source_system ?? '',
          sourceRecordId: entry.source_record_id,
          reliability: entry.reliability ?? '',
        }
      : null,
    summary: entry.summary,
    narrative: entry.narrative,
    place: entry.place,
    factorCodes: entry.factor_codes,
    impliedFactorCodes: entry.implied_factors,
    personRoles: entry.roles,
    correction: entry.supersedes ? { supersedes: entry.supersedes, reason: entry.correction_reason ?? '' } : null,
    earlierVersions: full ? (entry.earlierVersions ?? []).map((e) => presentEntry(e)) : [],
  };
}

/** How a withheld entry is named wherever it appears (chronology, timeline, home page, evidence). */
export const WITHHELD_LABELS = {
  restricted: 'Restricted entry',
  not_shared: 'Entry not shared with your organisation',
} as const;

/** The label of an entry for this reader: its type, or why it is withheld. */
export function entryLabel(entry: { access: EntryAccess; type_label: string | null }): string {
  return entry.access === 'full' ? entry.type_label ?? '' : WITHHELD_LABELS[entry.access];
}

/** Presents a page of the chronology. */
export function presentChronology(page: ChronologyPage) {
  return {
    entries: page.entries.map((e) => presentEntry(e)),
    page: page.page,
    pageSize: page.pageSize,
    total: page.total,
    totalPages: Math.max(1, Math.ceil(page.total / page.pageSize)),
  };
}
