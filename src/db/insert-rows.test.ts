import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeOrg, makePerson, useTestDb } from '../../test/helpers.js';
import type { Database, EventTable } from './database.js';
import { ARRAYS_FROM, insertRows } from './insert-rows.js';

/** Every column of the rows with these ids, the id left out, in the order given. */
async function rowsOf(db: Kysely<Database>, table: 'event' | 'access_log' | 'intake_row', key: 'id' | 'request_id' | 'seq', ids: readonly (string | number)[]) {
  const rows = await db.selectFrom(table).selectAll().where(key as never, 'in', ids as never).execute() as Record<string, unknown>[];
  const byKey = new Map(rows.map((r) => [r[key], r]));
  return ids.map((id) => {
    const { id: _id, seq: _seq, prev_hash: _prev, hash: _hash, at: _at, request_id: _request, ...rest } = byKey.get(id)! as Record<string, unknown>;
    return rest;
  });
}

describe('insertRows: many rows as one statement with an array a column', () => {
  const t = useTestDb();

  it('stores exactly what the same rows as a VALUES list store: arrays, JSON, dates, nulls and defaults', async () => {
    const org = await makeOrg(t.db, 'police');
    const type = await t.db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', 'missing_episode').executeTakeFirstOrThrow();
    const base = (id: string, i: number): Insertable<EventTable> => ({
      id, event_type_code: type.code, vocabulary_version: type.vocabulary_version, occurred_at: new Date(Date.UTC(2026, 0, 1 + i, 10, 30)),
      occurred_precision: i % 2 ? 'date' : 'time', recorded_by_user_id: null, api_key_id: null, recorded_via: 'import', organisation_id: org.id,
      source_system: 'NICHE', source_record_id: `R-${i}`, summary: `Summary "${i}", with \\ a backslash and {braces}`, narrative: i === 1 ? null : 'Narrative',
      place: null, factor_codes: i === 0 ? [] : i === 1 ? ['county_lines', 'weapon "knife", {bladed}\\'] : ['exploitation'],
      sensitivity: 'standard', reliability: 'reported', supersedes: null, correction_reason: null,
      // recorded_at given for some rows only: the others take the column's default.
      ...(i === 2 ? { recorded_at: new Date(Date.UTC(2026, 1, 2, 3, 4, 5, 6)) } : {}),
    });
    // Enough rows for arrays (fewer go as a VALUES list themselves): the four kinds of row over and over.
    const kinds = Array.from({ length: ARRAYS_FROM + 4 }, (_, i) => i % 4);
    const viaValues = kinds.map((i) => base(randomUUID(), i));
    const viaArrays = kinds.map((i) => base(randomUUID(), i));
    await t.db.insertInto('event').values(viaValues).execute();
    await insertRows(t.db, 'event', viaArrays);
    const a = await rowsOf(t.db, 'event', 'id', viaValues.map((r) => r.id!));
    const b = await rowsOf(t.db, 'event', 'id', viaArrays.map((r) => r.id!));
    // recorded_at defaults to now(): the same within a row's run, so compare it apart from the rest.
    const withoutRecorded = (rows: Record<string, unknown>[]) => rows.map(({ recorded_at: _r, ...rest }) => rest);
    expect(withoutRecorded(b)).toEqual(withoutRecorded(a));
    expect(b[1]!.factor_codes).toEqual(['county_lines', 'weapon "knife", {bladed}\\']);
    expect(b[0]!.factor_codes).toEqual([]);
    expect((b[2]!.recorded_at as Date).toISOString()).toBe('2026-02-02T03:04:05.006Z');
    expect(b[0]!.recorded_at).toBeInstanceOf(Date);
  });

  it('keeps the order given (the access log chains its rows in it) and JSON given as text or as a value alike', async () => {
    const person = await makePerson(t.db);
    // Enough rows for the planner to join the JSON document by hashing or sorting, not row by row.
    const ids = Array.from({ length: 600 }, () => randomUUID());
    await insertRows(t.db, 'access_log', ids.map((requestId, i) => ({
      user_id: null, api_key_id: null, organisation_id: null, roles: i === 3 ? ['a,b', 'c"d'] : ['system'], action: 'person.read', person_id: i % 2 ? person.id : null,
      route: '/x', outcome: 'allowed', request_id: requestId, detail: i === 2 ? null : i % 2 ? { n: i, s: 'é"\\' } as never : JSON.stringify({ n: i, s: 'é"\\' }),
    })));
    const rows = await t.db.selectFrom('access_log').select(['seq', 'request_id', 'roles', 'detail', 'person_id']).where('request_id', 'in', ids).orderBy('seq').execute();
    expect(rows.map((r) => r.request_id)).toEqual(ids);
    expect(rows[3]!.roles).toEqual(['a,b', 'c"d']);
    expect(rows[0]!.detail).toEqual({ n: 0, s: 'é"\\' });
    expect(rows[1]!.detail).toEqual({ n: 1, s: 'é"\\' });
    expect(rows[1]!.person_id).toBe(person.id);
    expect(rows[2]!.detail).toBeNull();
    expect(rows.map((r) => (r.detail as { n: number } | null)?.n ?? null)).toEqual(ids.map((_, i) => (i === 2 ? null : i)));
  });

  it('writes nothing for no rows, and refuses a SQL expression or a column the table lacks, writing none of the rows', async () => {
    await insertRows(t.db, 'event_person', []);
    const before = await t.db.selectFrom('access_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const row = { user_id: null, api_key_id: null, organisation_id: null, roles: ['system'], action: 'person.read' as const, person_id: null, route: '/x', outcome: 'allowed' as const, request_id: null, detail: null };
    const many = <T>(r: T) => Array.from({ length: ARRAYS_FROM }, () => r);
    await expect(insertRows(t.db, 'access_log', many({ ...row, nope: 1 } as never))).rejects.toThrow(/access_log has no column nope/);
    await expect(insertRows(t.db, 'access_log', many({ ...row, route: t.db.fn('lower', ['route']) as never }))).rejects.toThrow(/access_log.route is a SQL expression/);
    await expect(insertRows(t.db, 'access_log', many({ ...row, roles: [{ a: 1 }] as never }))).rejects.toThrow(/access_log.roles takes strings/);
    const after = await t.db.selectFrom('access_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});
