/**
 * The words of contextual safeguarding: kinds of relationship between people, of places and of
 * incidents, and which recorded entries are serious incidents. Pure data, no I/O.
 */

/** Relationships between people, family and beyond. */
export const RELATIONSHIP_KINDS = {
  parent: 'Parent',
  carer: 'Carer',
  sibling: 'Sibling',
  other_family: 'Other family',
  friend: 'Friend',
  associate: 'Associate',
  partner: 'Partner',
  rival: 'Rival or in conflict',
  co_accused: 'Co-accused',
  co_victim: 'Co-victim',
  suspected_exploiter: 'Suspected exploiter',
  classmate: 'Classmate',
} as const;
export type RelationshipKind = keyof typeof RELATIONSHIP_KINDS;

/** Kinds a practitioner records by hand on a child's network page (family comes from the family record). */
export const RECORDABLE_KINDS: readonly RelationshipKind[] = ['friend', 'associate', 'partner', 'rival', 'co_accused', 'co_victim', 'suspected_exploiter', 'classmate', 'sibling'];

/** Kinds that carry a peer into a critical-moment cohort one or two steps away (friends and associates). */
export const PEER_KINDS: readonly RelationshipKind[] = ['friend', 'associate', 'partner', 'co_accused', 'co_victim'];

/** Kinds of place. */
export const PLACE_KINDS = {
  school: 'School',
  youth_centre: 'Youth centre or youth provision',
  estate: 'Estate',
  park: 'Park',
  transport_hub: 'Transport hub',
  shop: 'Shop',
  address: 'Address',
  online: 'Online space',
  other: 'Other place',
} as const;
export type PlaceKind = keyof typeof PLACE_KINDS;

/** How a person is linked to a place. */
export const PERSON_PLACE_KINDS = {
  enrolled: 'Enrolled at',
  attends: 'Attends',
  frequents: 'Often seen at',
  lives: 'Lives at',
  member: 'Member of',
} as const;

/** Kinds of incident, and which are serious (a critical moment: the affected cohort gets welfare checks). */
export const INCIDENT_KINDS = {
  homicide: { label: 'Homicide', serious: true },
  death: { label: 'Death of a young person', serious: true },
  stabbing: { label: 'Stabbing', serious: true },
  shooting: { label: 'Shooting', serious: true },
  serious_assault: { label: 'Serious assault', serious: true },
  school_violence: { label: 'Violent incident at school', serious: false },
  other: { label: 'Other incident', serious: false },
} as const;
export type IncidentKind = keyof typeof INCIDENT_KINDS;

/**
 * Which entries are part of an incident, and of which kind. Police and A&E record one stabbing as
 * `victim_of_serious_violence` and `ae_attendance_stab_wound`: both are the kind "stabbing" when the
 * words say so, so the two records are linked into one incident.
 */
export function incidentKindOf(eventTypeCode: string, summary: string | null): IncidentKind | null {
  const words = (summary ?? '').toLowerCase();
  switch (eventTypeCode) {
    case 'homicide': return 'homicide';
    case 'death_of_young_person': return 'death';
    case 'ae_attendance_stab_wound': return 'stabbing';
    case 'violent_incident_at_school': return 'school_violence';
    case 'victim_of_serious_violence':
    case 'witness_to_serious_violence':
    case 'weapon_incident':
      if (/\bstab|knife|bladed/.test(words)) return 'stabbing';
      if (/\bshot\b|shoot|firearm|gun/.test(words)) return 'shooting';
      return eventTypeCode === 'weapon_incident' ? 'other' : 'serious_assault';
    default: return null;
  }
}

/** How far apart in time two agencies' records of one happening may be and still be linked automatically. */
export const INCIDENT_LINK_HOURS = 24;

/** Critical-moment window after serious violence (Green, Horel and Papachristos: about 125 days). */
export const EXPOSURE_WINDOW_DAYS = 125;

/** Why a child is in a critical-moment cohort. */
export type CohortReasonKind = 'named' | 'sibling' | 'peer' | 'peer_of_peer' | 'rival' | 'exploitation' | 'classmate' | 'youth_provision' | 'named_together';

/** How each reason reads. */
export const COHORT_REASON_TEXT: Record<CohortReasonKind, string> = {
  named: 'Named in the incident',
  sibling: 'Sibling of',
  peer: 'Friend or associate of',
  peer_of_peer: 'Friend or associate (two steps) of',
  rival: 'Rival of (retaliation risk)',
  exploitation: 'Linked by an exploitation concern with',
  classmate: 'Classmate of',
  youth_provision: 'Goes to the same youth provision as',
  named_together: 'Named together in an entry with',
};

/** Checks a 3x5x2 grading written as source (1-3) then intelligence (A-E), such as "2B". */
export function isGrading(value: string): boolean {
  return /^[1-3][A-E]$/.test(value);
}
