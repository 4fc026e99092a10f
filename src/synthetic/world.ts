/**
 * The deterministic generator of a synthetic borough. Pure: no I/O beyond reading the
 * published vocabulary, no clock, no Math.random. The same options give byte-identical
 * rows, and the chunked generator gives exactly the same rows as the whole-world one
 * whatever the chunk size, because every family draws from its own seeded stream.
 */
import { loadVocabulary, type EventType, type Vocabulary } from '../domain/vocabulary.js';
import { USED_EVENT_CODES } from './experiences.js';
import { FamilyGenerator } from './family.js';
import type { BoroughContext } from './history.js';
import { PeerNetwork } from './network.js';
import { Partnership, Region } from './partnership.js';
import { DEFAULT_BOROUGH, boroughsOf } from './places.js';
import { REFERENCE_DATE } from './rates.js';
import { hasSummary } from './summaries.js';
import { CHUNK_TABLES, emptyChunk, type DemoUser, type World, type WorldChunk, type WorldOptions } from './types.js';

/** Largest borough the generator accepts (the synthetic NHS number range is the limit). */
export const MAX_CHILDREN = 300_000;

/** Checks that every event type the generator records exists in the vocabulary and has a summary; throws listing any that do not. */
export function checkVocabulary(vocabulary: Vocabulary): Map<string, EventType> {
  const types = new Map(vocabulary.eventTypes.map((t) => [t.code, t]));
  const missing = USED_EVENT_CODES.filter((c) => !types.has(c));
  if (missing.length) throw new Error(`Synthetic generator uses event types missing from vocabulary ${vocabulary.version}: ${missing.join(', ')}`);
  const unwritten = USED_EVENT_CODES.filter((c) => !hasSummary(c));
  if (unwritten.length) throw new Error(`Synthetic generator has no summary for: ${unwritten.join(', ')}`);
  return types;
}

function validate(options: WorldOptions): Required<WorldOptions> & { names: string[] } {
  const referenceDate = options.referenceDate ?? REFERENCE_DATE;
  const parsed = Date.parse(`${referenceDate}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(referenceDate) || Number.isNaN(parsed) || new Date(parsed).toISOString().slice(0, 10) !== referenceDate) {
    throw new Error('referenceDate must be a real date, like 2026-11-01');
  }
  const { children, seed } = options;
  if (!Number.isInteger(children) || children < 0 || children > MAX_CHILDREN) throw new Error(`children must be an integer from 0 to ${MAX_CHILDREN}`);
  if (!Number.isSafeInteger(seed)) throw new Error('seed must be an integer');
  const borough = (options.borough ?? DEFAULT_BOROUGH).trim();
  if (!borough) throw new Error('borough must not be empty');
  const boroughs = options.boroughs ?? 1;
  return { children, seed, borough, boroughs, referenceDate, names: boroughsOf(borough, boroughs) };
}

/**
 * The reference date a world made on `now` takes: the last day on or before it that is a whole
 * number of weeks from the fixed reference date. A seeded borough's entries are then recent
 * whenever it is seeded (the rules, panels and dashboards read them against the clock), while
 * every weekday pattern of the fixed world (school days, weekend nights) falls on the same weekdays.
 */
export function referenceDateOn(now: Date): string {
  const DAY_MS = 86_400_000;
  const fixed = Date.parse(`${REFERENCE_DATE}T00:00:00Z`);
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const weeks = Math.floor((today - fixed) / (7 * DAY_MS));
  return new Date(fixed + weeks * 7 * DAY_MS).toISOString().slice(0, 10);
}

/** The partnerships of a world: one borough alone (with stand-in neighbours), or a region of several. */
function partnershipsOf(opts: { children: number; seed: number; names: string[]; referenceDate: string }): Partnership[] {
  if (opts.names.length === 1) return [new Partnership({ children: opts.children, seed: opts.seed, borough: opts.names[0]!, referenceDate: opts.referenceDate })];
  const region = new Region(opts.names);
  for (const borough of opts.names) new Partnership({ children: opts.children, seed: opts.seed, borough, region, referenceDate: opts.referenceDate });
  return region.partnerships;
}

/** Extra partnership memberships of a world's shared organisations. */
function membershipsOf(partnerships: Partnership[]) {
  return partnerships[0]!.region?.memberships ?? [];
}

/**
 * Yields a world in chunks of about `chunkSize` children (whole families), the first chunk also
 * carrying every partnership (organisations, teams, initial staff, shared memberships, front
 * doors). Several boroughs are generated one after another, `children` children each.
 */
export function* generateChildrenChunks(options: WorldOptions, chunkSize = 1000): Generator<WorldChunk, void, undefined> {
  const opts = validate(options);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error('chunkSize must be a positive integer');
  const vocabulary = loadVocabulary();
  const types = checkVocabulary(vocabulary);
  const partnerships = partnershipsOf(opts);
  // Identifiers issued so far, shared by the boroughs so they stay unique across the world.
  const issued = { nhs: new Set<string>(), serials: new Map<string, number>() };
  // Staff of a shared organisation (the police command unit, the NHS trust) work for the partnership
  // of the borough whose team they are in, not the organisation's home one.
  const takeUsers = (into: WorldChunk) => {
    for (const p of partnerships) {
      for (const u of p.takeNewUsers()) {
        into.users.push(u);
        if (p.orgById(u.organisation_id)?.borough !== p.borough) into.userBoroughs.push({ user_id: u.id, borough: p.borough });
      }
    }
  };
  const total = opts.children * partnerships.length;

  let chunk = emptyChunk();
  for (const p of partnerships) {
    chunk.organisations.push(...p.organisations);
    chunk.teams.push(...p.teams);
    chunk.frontDoors.push(p.frontDoor);
  }
  chunk.organisationBoroughs.push(...membershipsOf(partnerships));
  let done = 0;
  const networks: PeerNetwork[] = [];
  for (const partnership of partnerships) {
    // Rivalries reach the groups of the boroughs generated before this one.
    const ctx: BoroughContext = { partnership, vocabulary, types, network: new PeerNetwork(partnership, opts.seed, [...networks]) };
    networks.push(ctx.network);
    const families = new FamilyGenerator(ctx, opts.seed, issued);
    ctx.network.drainInto(chunk); // the borough's places
    let here = 0;
    for (let index = 0; here < opts.children; index += 1) {
      const made = families.generate(index, opts.children - here, chunk);
      ctx.network.drainInto(chunk);
      here += made;
      done += made;
      if (chunk.childIds.length >= chunkSize && done < total) {
        takeUsers(chunk);
        chunk.childrenDone = done;
        yield chunk;
        chunk = emptyChunk();
      }
    }
  }
  takeUsers(chunk);
  chunk.childrenDone = done;
  yield chunk;
}

/** The demo accounts of a borough: fixed emails, the shared password, what each is for. */
export function demoUsersOf(borough = DEFAULT_BOROUGH): DemoUser[] {
  return new Partnership({ children: 0, seed: 0, borough }).demoUsers;
}

/** The demo accounts of a world of `boroughs` neighbouring boroughs starting with `borough` (each borough's, the first's first). */
export function demoUsersOfWorld(borough = DEFAULT_BOROUGH, boroughs = 1): DemoUser[] {
  return boroughsOf(borough, boroughs).flatMap((b) => demoUsersOf(b));
}

/** A whole borough in memory (for tests and small sizes; stream larger ones with generateChildrenChunks). */
export function generateWorld(options: WorldOptions): World {
  const opts = validate(options);
  const world: World = {
    ...emptyChunk(), borough: opts.borough, boroughs: opts.names, seed: opts.seed, referenceDate: opts.referenceDate,
    demoUsers: demoUsersOfWorld(opts.borough, opts.boroughs),
  };
  delete (world as Partial<WorldChunk>).childrenDone;
  for (const chunk of generateChildrenChunks(opts)) {
    for (const table of CHUNK_TABLES) (world[table] as unknown[]).push(...chunk[table]);
    world.organisationBoroughs.push(...chunk.organisationBoroughs);
    world.frontDoors.push(...chunk.frontDoors);
    world.userBoroughs.push(...chunk.userBoroughs);
    world.childIds.push(...chunk.childIds);
    world.childProfiles.push(...chunk.childProfiles);
    world.duplicates.push(...chunk.duplicates);
  }
  return world;
}
