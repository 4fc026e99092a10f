import { describe, expect, it } from 'vitest';
import { boroughsOf } from './places.js';
import { CHUNK_TABLES, type World } from './types.js';
import { demoUsersOfWorld, generateChildrenChunks, generateWorld } from './world.js';

// Several neighbouring boroughs generated together: each its own partnership, one police
// command unit for all, an NHS trust for the first two, and families who move between them.
const options = { children: 150, seed: 11, boroughs: 3 };
const world = generateWorld(options);
const orgs = new Map(world.organisations.map((o) => [o.id, o]));

describe('generateWorld with several boroughs', () => {
  it('names the boroughs from invented ones, the first first, and refuses more than it has', () => {
    expect(world.boroughs).toEqual(['Northbridge', 'Eastmere', 'Ravensmoor']);
    expect(boroughsOf('Eastmere', 4)).toEqual(['Eastmere', 'Ravensmoor', 'Kestrel Vale', 'Northbridge']);
    expect(() => boroughsOf('Northbridge', 5)).toThrow(/boroughs/);
    expect(() => generateWorld({ ...options, boroughs: 0 })).toThrow(/boroughs/);
  });

  it('is deterministic and the same whatever the chunk size', () => {
    expect(generateWorld(options)).toEqual(world);
    const merged: World = { ...world, childIds: [], duplicates: [], childProfiles: [], organisationBoroughs: [], frontDoors: [], userBoroughs: [] };
    for (const table of CHUNK_TABLES) merged[table] = [];
    let chunks = 0;
    for (const chunk of generateChildrenChunks(options, 41)) {
      chunks += 1;
      for (const table of CHUNK_TABLES) (merged[table] as unknown[]).push(...chunk[table]);
      merged.organisationBoroughs.push(...chunk.organisationBoroughs);
      merged.frontDoors.push(...chunk.frontDoors);
      merged.userBoroughs.push(...chunk.userBoroughs);
      merged.childIds.push(...chunk.childIds);
      merged.duplicates.push(...chunk.duplicates);
      merged.childProfiles.push(...chunk.childProfiles);
    }
    expect(chunks).toBeGreaterThan(5);
    expect(merged).toEqual(world);
  });

  it('makes `children` children in each borough', () => {
    expect(world.childIds).toHaveLength(450);
    const current = new Map<string, string>();
    for (const a of world.addresses) if (a.valid_to === null) current.set(a.person_id, a.borough!);
    const counts = new Map<string, number>();
    for (const id of world.childIds) counts.set(current.get(id)!, (counts.get(current.get(id)!) ?? 0) + 1);
    for (const b of world.boroughs) expect(counts.get(b)).toBeGreaterThan(100);
    expect([...counts.keys()].every((b) => world.boroughs.includes(b))).toBe(true);
  });

  it('gives each borough its own services and front door, one police command unit and a trust for two boroughs', () => {
    for (const b of world.boroughs) {
      const kinds = new Set(world.organisations.filter((o) => o.borough === b).map((o) => o.kind));
      for (const k of ['childrens_social_care', 'early_help', 'school', 'youth_justice', 'targeted_youth_support', 'youth_centre', 'gp']) expect(kinds).toContain(k);
      const door = world.frontDoors.find((f) => f.borough === b)!;
      expect(orgs.get(door.organisation_id)).toMatchObject({ borough: b, kind: 'childrens_social_care' });
      expect(world.teams.find((t) => t.id === door.team_id)?.name).toBe('Front door (MASH)');
    }
    const police = world.organisations.filter((o) => o.kind === 'police');
    expect(police).toHaveLength(1);
    expect(world.organisationBoroughs.filter((m) => m.organisation_id === police[0]!.id).map((m) => m.borough)).toEqual(['Eastmere', 'Ravensmoor']);
    const trust = world.organisations.find((o) => o.name.endsWith('NHS Trust'))!;
    expect(trust).toMatchObject({ kind: 'acute_hospital', borough: 'Northbridge' });
    expect(world.organisationBoroughs.filter((m) => m.organisation_id === trust.id).map((m) => m.borough)).toEqual(['Eastmere']);
    // No stand-in neighbour agencies: every organisation is in one of the world's boroughs.
    expect(world.organisations.every((o) => world.boroughs.includes(o.borough))).toBe(true);
  });

  it('moves some families between the boroughs, with the move recorded and both boroughs\' agencies involved', () => {
    const spells = new Map<string, Set<string>>();
    for (const a of world.addresses) (spells.get(a.person_id) ?? spells.set(a.person_id, new Set()).get(a.person_id)!).add(a.borough!);
    const movers = world.childIds.filter((id) => spells.get(id)!.size > 1);
    expect(movers.length / world.childIds.length).toBeGreaterThan(0.04);
    const moverSet = new Set(movers);
    const codes = new Set(world.events.filter((e) => world.eventPeople.some((ep) => ep.event_id === e.id && moverSet.has(ep.person_id))).map((e) => e.event_type_code));
    expect(codes).toContain('move_to_another_borough');
    expect(codes).toContain('change_of_address');
    const acrossBoroughs = movers.filter((id) => new Set(world.involvements.filter((i) => i.person_id === id).map((i) => orgs.get(i.organisation_id)!.borough)).size > 1);
    expect(acrossBoroughs.length).toBeGreaterThan(0);
    // Entries about a mover come from agencies of more than one borough.
    const recordedIn = (id: string) => new Set(world.eventPeople.filter((ep) => ep.person_id === id).map((ep) => orgs.get(world.events.find((e) => e.id === ep.event_id)!.organisation_id)!.borough));
    expect(movers.some((id) => recordedIn(id).size > 1)).toBe(true);
  });

  it('refers only to rows of the world, with ids, emails and identifiers unique across the boroughs', () => {
    const ids = new Set<string>();
    for (const table of CHUNK_TABLES) {
      if (table === 'eventPeople' || table === 'eventPlaces') continue;
      for (const row of world[table] as { id: string }[]) {
        expect(ids.has(row.id)).toBe(false);
        ids.add(row.id);
      }
    }
    const users = new Set(world.users.map((u) => u.id));
    for (const i of world.involvements) {
      expect(orgs.has(i.organisation_id)).toBe(true);
      if (i.user_id) expect(users.has(i.user_id)).toBe(true);
    }
    for (const e of world.events) {
      expect(orgs.has(e.organisation_id)).toBe(true);
      if (e.recorded_by_user_id) expect(users.has(e.recorded_by_user_id)).toBe(true);
    }
    expect(new Set(world.users.map((u) => u.email)).size).toBe(world.users.length);
    const duplicates = new Set(world.duplicates.map((d) => d.personId));
    const values = world.identifiers.filter((i) => !duplicates.has(i.person_id) && i.scheme !== 'upn').map((i) => `${i.scheme}:${i.value}`);
    expect(new Set(values).size).toBe(values.length);
  });

  it('has every borough\'s demo accounts, the first borough\'s as documented', () => {
    const emails = world.demoUsers.map((u) => u.email);
    const first = demoUsersOfWorld('Northbridge', 1).map((u) => u.email);
    expect(emails.slice(0, first.length)).toEqual(first);
    expect(emails).toContain('admin@northbridge.jigsaw.test');
    expect(emails).toContain('admin@eastmere.jigsaw.test');
    expect(emails).toContain('admin@ravensmoor.jigsaw.test');
    for (const e of emails) expect(world.users.some((u) => u.email === e)).toBe(true);
  });

  it('gives each borough its own places and peer groups, with rivalries that cross into a neighbouring borough', () => {
    for (const b of world.boroughs) {
      expect(world.places.some((p) => p.borough === b && p.kind === 'estate')).toBe(true);
      expect(world.peerGroups.some((g) => g.borough === b)).toBe(true);
    }
    // Rivalries are few in a small world: two larger boroughs show the ones that cross.
    const larger = generateWorld({ children: 800, seed: 11, boroughs: 2 });
    const groupBorough = new Map(larger.peerGroups.map((g) => [g.id, g.borough]));
    const boroughOf = new Map(larger.peerGroupMembers.map((m) => [m.person_id, groupBorough.get(m.group_id)]));
    const rivals = larger.peerRelationships.filter((r) => r.kind === 'rival');
    expect(rivals.some((r) => boroughOf.get(r.person_id) === boroughOf.get(r.related_person_id))).toBe(true);
    expect(rivals.some((r) => boroughOf.get(r.person_id) !== boroughOf.get(r.related_person_id))).toBe(true);
  });
});
