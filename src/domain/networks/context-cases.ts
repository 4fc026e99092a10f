/**
 * The words of context cases (Contextual Safeguarding): the kinds of action a plan on a place or a
 * peer group holds. Pure data, no I/O.
 */

/** Kinds of action on a context: what changes the place or the group, not the child. */
export const CONTEXT_ACTION_KINDS = {
  detached_youth_work: 'Detached youth work',
  school_safety_plan: 'School safety plan',
  lighting_cctv: 'Lighting or CCTV',
  licensing: 'Licensing',
  police_patrols: 'Police patrols',
  other: 'Other action',
} as const;
export type ContextActionKind = keyof typeof CONTEXT_ACTION_KINDS;

export function isContextActionKind(value: string): value is ContextActionKind {
  return Object.hasOwn(CONTEXT_ACTION_KINDS, value);
}
