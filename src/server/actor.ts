/** The roles a user can hold. */
export const ROLES = [
  'practitioner',
  'team_manager',
  'designated_safeguarding_lead',
  'panel_coordinator',
  'analyst',
  'data_protection_officer',
  'partnership_admin',
  'partnership_lead',
  'scrutineer',
  'quality_assurance_lead',
] as const;
export type Role = (typeof ROLES)[number];

/** Who is making a request: a signed-in person, or an organisation's system using an API key. */
export type Actor =
  | {
      kind: 'user';
      userId: string;
      name: string;
      email: string;
      organisationId: string;
      organisationName: string;
      teamId: string | null;
      roles: Role[];
      /** The partnership whose configuration the user works on (app_user.partnership_id). */
      partnershipId: string;
    }
  | { kind: 'system'; apiKeyId: string; organisationId: string; organisationName: string };
