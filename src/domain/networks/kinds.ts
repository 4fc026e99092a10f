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

/** The entry types `incidentKindOf` may read as part of an incident. */
export const INCIDENT_EVENT_TYPES: readonly string[] = [
  'homicide', 'death_of_young_person', 'ae_attendance_stab_wound', 'violent_incident_at_school', 'victim_of_serious_violence', 'witness_to_serious_violence', 'weapon_incident',
];

/** How far apart in time two agencies' records of one happening may be and still be linked automatically. */
export const INCIDENT_LINK_HOURS = 24;

/** Critical-moment window after serious violence (Green, Horel and Papachristos: about 125 days). */
export const EXPOSURE_WINDOW_DAYS = 125;

/** Serious violence a child may be exposed to through their network (the exposure-to-violence rule). */
export const EXPOSURE_INCIDENT_KINDS = ['homicide', 'stabbing', 'shooting', 'serious_assault'] as const satisfies readonly IncidentKind[];

/** Entry types whose subject is the one harmed (elsewhere, such as a witness's entry, only a person named as victim is). */
export const VICTIM_SUBJECT_TYPES: readonly string[] = ['homicide', 'death_of_young_person', 'ae_attendance_stab_wound', 'victim_of_serious_violence'];

/** Whether a person with these roles in an entry of this type was harmed in it: named as victim, or the subject of an entry of harm. */
export function isVictimIn(eventTypeCode: string, roles: readonly string[]): boolean {
  return roles.includes('victim') || (roles.includes('subject') && VICTIM_SUBJECT_TYPES.includes(eventTypeCode));
}

/** How far a cohort runs before it is cut (closest first): a critical moment's welfare checks and its page. */
export const COHORT_CAP = 200;

/** How close each reason puts a child to the incident, for cutting a cohort at COHORT_CAP: lower is closer. */
export const COHORT_REASON_CLOSENESS: Record<CohortReasonKind, number> = {
  named: 0, sibling: 1, peer: 1, rival: 1, exploitation: 1, named_together: 1, peer_of_peer: 2, classmate: 3, youth_provision: 3,
};

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
