import type { Actor } from '../../actor.js';
import { canSeeProtectedAddress } from './people.policy.js';
import type { PersonSummary } from './people.queries.js';

/** A person as the API and pages show them to one actor: an explicit whitelist of fields, protected addresses withheld. */
export function presentPerson(p: PersonSummary, actor: Actor) {
  const today = new Date().toISOString().slice(0, 10);
  const isLeadProfessional = actor.kind === 'user' && p.involvements.some(
    (i) => i.userId === actor.userId && i.role === 'lead_professional' && (i.endedOn === null || i.endedOn >= today),
  );
  return {
    id: p.id,
    displayName: p.displayName,
    names: p.names.map((n) => ({ kind: n.kind, givenNames: n.givenNames, familyName: n.familyName, validFrom: n.validFrom, validTo: n.validTo })),
    dateOfBirth: p.dateOfBirth,
    dateOfBirthAccuracy: p.dobAccuracy,
    sex: p.sex,
    ethnicity: p.ethnicity,
    identifiers: p.identifiers.map((i) => ({ scheme: i.scheme, value: i.value })),
    addresses: p.addresses.map((a) =>
      !a.protected || canSeeProtectedAddress(actor, a.recordedByOrganisationId, isLeadProfessional)
        ? { line1: a.line1, town: a.town, postcode: a.postcode, borough: a.borough, validFrom: a.validFrom, validTo: a.validTo, protected: a.protected, askOrganisation: null }
        : { line1: null, town: null, postcode: null, borough: null, validFrom: a.validFrom, validTo: a.validTo, protected: true, askOrganisation: a.recordedByOrganisationName },
    ),
    relationships: p.relationships.map((r) => ({ kind: r.kind, personId: r.personId, name: r.name })),
    involvements: p.involvements.map((i) => ({
      organisation: { id: i.organisationId, name: i.organisationName, kind: i.organisationKind },
      team: i.teamName, practitioner: i.userName, role: i.role, startedOn: i.startedOn, endedOn: i.endedOn,
    })),
  };
}
