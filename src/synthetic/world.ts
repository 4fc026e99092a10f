/**
 * The deterministic generator of a synthetic borough. Pure: no I/O beyond reading the
 * published vocabulary, no clock, no Math.random. The same options give byte-identical
 * rows, and the chunked generator gives exactly the same rows as the whole-world one
 * whatever the chunk size, because every family draws from its own seeded stream.
 */
import { loadVocabulary, type EventType, type Vocabulary } from '../domain/vocabulary.js';
import { USED_EVENT_CODES } from './experiences.js';
import { FamilyGenerator } from './family.js';
import { PeerNetwork, type BoroughContext } from './history.js';
import { Partnership } from './partnership.js';
import { DEFAULT_BOROUGH } from './places.js';
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

function validate(options: WorldOptions): Required<WorldOptions> {
  const { children, seed } = options;
  if (!Number.isInteger(children) || children < 0 || children > MAX_CHILDREN) throw new Error(`children must be an integer from 0 to ${MAX_CHILDREN}`);
  if (!Number.isSafeInteger(seed)) throw new Error('seed must be an integer');
  const borough = (options.borough ?? DEFAULT_BOROUGH).trim();
  if (!borough) throw new Error('borough must not be empty');
  return { children, seed, borough };
}

/** Yields a borough in chunks of about `chunkSize` children (whole families), the first chunk also carrying the partnership. */
export function* generateChildrenChunks(options: WorldOptions, chunkSize = 1000): Generator<WorldChunk, void, undefined> {
  const opts = validate(options);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error('chunkSize must be a positive integer');
  const vocabulary = loadVocabulary();
  const types = checkVocabulary(vocabulary);
  const partnership = new Partnership(opts);
  const ctx: BoroughContext = { partnership, vocabulary, types, network: new PeerNetwork(partnership) };
  const families = new FamilyGenerator(ctx, opts.seed);

  let chunk = emptyChunk();
  chunk.organisations.push(...partnership.organisations);
  chunk.teams.push(...partnership.teams);
  let done = 0;
  for (let index = 0; done < opts.children; index += 1) {
    done += families.generate(index, opts.children - done, chunk);
    if (chunk.childIds.length >= chunkSize && done < opts.children) {
      chunk.users.push(...partnership.takeNewUsers());
      chunk.childrenDone = done;
      yield chunk;
      chunk = emptyChunk();
    }
  }
  chunk.users.push(...partnership.takeNewUsers());
  chunk.childrenDone = done;
  yield chunk;
}

/** The demo accounts of a borough: fixed emails, the shared password, what each is for. */
export function demoUsersOf(borough = DEFAULT_BOROUGH): DemoUser[] {
  return new Partnership({ children: 0, seed: 0, borough }).demoUsers;
}

/** A whole borough in memory (for tests and small sizes; stream larger ones with generateChildrenChunks). */
export function generateWorld(options: WorldOptions): World {
  const opts = validate(options);
  const world: World = {
    ...emptyChunk(), borough: opts.borough, seed: opts.seed, referenceDate: REFERENCE_DATE, demoUsers: demoUsersOf(opts.borough),
  };
  delete (world as Partial<WorldChunk>).childrenDone;
  for (const chunk of generateChildrenChunks(opts)) {
    for (const table of CHUNK_TABLES) (world[table] as unknown[]).push(...chunk[table]);
    world.childIds.push(...chunk.childIds);
    world.childProfiles.push(...chunk.childProfiles);
    world.duplicates.push(...chunk.duplicates);
  }
  return world;
}
