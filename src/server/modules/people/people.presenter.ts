import type { PersonSummary } from './people.queries.js';

/** A person as the API and pages show them: an explicit whitelist of fields. */
export function presentPerson(p: PersonSummary) {
  return {
    id: p.id,
    displayName: p.displayName,
    names: p.names.map((n) => ({ kind: n.kind, givenNames: n.givenNames, familyName: n.familyName, validFrom: n.validFrom, validTo: n.validTo })),
    dateOfBirth: p.dateOfBirth,
    dateOfBirthAccuracy: p.dobAccuracy,
    sex: p.sex,
    ethnicity: p.ethnicity,
    identifiers: p.identifiers.map((i) => ({ scheme: i.scheme, value: i.value })),
    addresses: p.addresses.map((a) => ({ line1: a.line1, town: a.town, postcode: a.postcode, borough: a.borough, validFrom: a.validFrom, validTo: a.validTo })),
    relationships: p.relationships.map((r) => ({ kind: r.kind, personId: r.personId, name: r.name })),
    involvements: p.involvements.map((i) => ({
      organisation: { id: i.organisationId, name: i.organisationName, kind: i.organisationKind },
      team: i.teamName, practitioner: i.userName, role: i.role, startedOn: i.startedOn, endedOn: i.endedOn,
    })),
  };
}
