import type { Actor } from '../../actor.js';
import { canSeeRestricted, isShared, type SharingAgreementGrant } from '../people/people.policy.js';
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

/** Presents one entry; content of a restricted entry is withheld from other organisations, its existence is not. */
export function presentEntry(entry: ChronologyEntry & { earlierVersions?: ChronologyEntry[] }, actor: Actor, sharing: SharingAgreementGrant[]): PresentedEntry {
  const notShared = !isShared(actor, entry.organisationId, entry.category, sharing);
  const withheld = notShared || (entry.sensitivity === 'restricted' && !canSeeRestricted(actor, entry.organisationId, entry.restriction?.grants));
  return {
    id: entry.id,
    restricted: entry.sensitivity === 'restricted',
    withheld: notShared ? 'not_shared' : withheld ? 'restricted' : null,
    restrictedContact: entry.sensitivity === 'restricted' ? entry.restriction?.contact ?? null : null,
    eventType: withheld
      ? notShared
        ? { code: 'not_shared', label: 'Entry not shared with your organisation', category: entry.category, vocabularyVersion: entry.vocabularyVersion }
        : { code: 'restricted', label: 'Restricted entry', category: entry.category, vocabularyVersion: entry.vocabularyVersion }
      : { code: entry.eventTypeCode, label: entry.eventTypeLabel, category: entry.category, vocabularyVersion: entry.vocabularyVersion },
    occurredAt: entry.occurredAt.toISOString(),
    occurredPrecision: entry.occurredPrecision,
    organisation: { id: entry.organisationId, name: entry.organisationName, kind: entry.organisationKind },
    provenance: withheld
      ? null
      : {
          recordedAt: entry.recordedAt.toISOString(),
          recordedBy: entry.recordedByName,
          recordedVia: entry.recordedVia,
          sourceSystem: entry.sourceSystem,
          sourceRecordId: entry.sourceRecordId,
          reliability: entry.reliability,
        },
    summary: withheld ? null : entry.summary,
    narrative: withheld ? null : entry.narrative,
    place: withheld ? null : entry.place,
    factorCodes: withheld ? [] : entry.factorCodes,
    impliedFactorCodes: withheld ? [] : entry.impliedFactors,
    personRoles: entry.roles,
    correction: entry.supersedes && !withheld ? { supersedes: entry.supersedes, reason: entry.correctionReason ?? '' } : null,
    earlierVersions: withheld ? [] : (entry.earlierVersions ?? []).map((e) => presentEntry(e, actor, sharing)),
  };
}

/** Presents a page of the chronology. */
export function presentChronology(page: ChronologyPage, actor: Actor, sharing: SharingAgreementGrant[]) {
  return {
    entries: page.entries.map((e) => presentEntry(e, actor, sharing)),
    page: page.page,
    pageSize: page.pageSize,
    total: page.total,
    totalPages: Math.max(1, Math.ceil(page.total / page.pageSize)),
  };
}
