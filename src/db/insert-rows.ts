import { sql, type Insertable, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './database.js';

/**
 * Inserts many rows as one statement with one array parameter a column:
 *
 *   INSERT INTO t (a, b) SELECT u.a, u.b FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS u(a, b, n)
 *
 * instead of a VALUES list with a parameter for every value. A VALUES list of a few hundred rows has
 * thousands of parameters, each parsed, planned and evaluated on its own (and, with Kysely, each an
 * operation node to compile); the arrays are a few parameters whatever the rows. A json or jsonb column
 * is one JSON document joined on the row's position instead: as an array literal, every quotation
 * mark in every value would be escaped by the client and again read by the server (a match
 * explanation of 1 kB took 15 ms of the client a few hundred rows). On the server a chunk
 * of an import writes a few hundred rows to each of a dozen tables, so this is most of its writes.
 *
 * A few rows (fewer than ARRAYS_FROM: a request's own access-log row, say) go as Kysely's VALUES list.
 *
 * Semantics are those of Kysely's `insertInto(table).values(rows)`: a column a row leaves out (or
 * gives as undefined) takes its default, so rows are written in runs of those giving the same columns,
 * in the order given (the access log's chain and a correction after the entry it supersedes depend on
 * it). Values go as Kysely would send them: a Date as its instant, a json or jsonb column's object or
 * array as its JSON (a string is JSON already); an array column (text[]) takes a JavaScript array of
 * strings, numbers or booleans. A value that is a SQL expression is refused: write such rows with Kysely.
 *
 * The column types come from the catalogue (once a table, for the process), so the statement names
 * them without a second copy of the schema here. Every database a process opens is migrated to the
 * same version before it is used (`migrateToLatest`), so a table's columns are the same in each.
 */
export async function insertRows<T extends keyof Database & string>(db: Kysely<Database>, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length < ARRAYS_FROM) {
    await db.insertInto(table).values(rows as never).execute();
    return;
  }
  const types = await columnTypesOf(db, table);
  let start = 0;
  while (start < rows.length) {
    const columns = givenColumns(rows[start]!);
    let end = start + 1;
    while (end < rows.length && end - start < ROWS_PER_STATEMENT && sameColumns(columns, rows[end]!)) end += 1;
    await insertRun(db, table, types, columns, rows.slice(start, end) as readonly Row[]);
    start = end;
  }
}

type Row = Record<string, unknown>;

/**
 * Fewer rows than this go as a VALUES list: for a handful the arrays' longer statement (and a JSON
 * column's join) costs more than the parameters it saves (on PGlite 0.45 ms against 0.64 for 5 rows,
 * 0.83 against 0.73 for 30, 2.3 against 1.5 for 100).
 */
export const ARRAYS_FROM = 16;

/** At most this many rows a statement: the arrays' size bounds the statement, not a parameter count. */
const ROWS_PER_STATEMENT = 5_000;

interface ColumnType {
  /** The column's type as SQL names it (format_type). */
  sql: string;
  /** An array column: its values go as array literals in a text[] parameter, cast back per row. */
  array: boolean;
  json: boolean;
}

const catalogue = new Map<string, Promise<Map<string, ColumnType>>>();

function columnTypesOf(db: Kysely<Database>, table: string): Promise<Map<string, ColumnType>> {
  let known = catalogue.get(table);
  if (!known) {
    known = sql<{ name: string; type: string; category: string }>`
      SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category
      FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass(${table}) AND a.attnum > 0 AND NOT a.attisdropped`.execute(db)
      .then(({ rows }) => {
        if (rows.length === 0) throw new Error(`insertRows: no table ${table}`);
        return new Map(rows.map((r) => [r.name, { sql: r.type, array: r.category === 'A', json: r.type === 'jsonb' || r.type === 'json' }]));
      });
    catalogue.set(table, known);
    // A failed read (an aborted transaction, say) is not remembered.
    known.catch(() => catalogue.delete(table));
  }
  return known;
}

const givenColumns = (row: object): string[] => Object.keys(row).filter((k) => (row as Row)[k] !== undefined);

function sameColumns(columns: readonly string[], row: object): boolean {
  const given = givenColumns(row);
  return given.length === columns.length && given.every((c, i) => c === columns[i]);
}

async function insertRun(db: Kysely<Database>, table: string, types: Map<string, ColumnType>, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  const params: RawBuilder<unknown>[] = [];
  const names: RawBuilder<unknown>[] = [];
  const selected: RawBuilder<unknown>[] = [];
  const documents: RawBuilder<unknown>[] = [];
  for (const column of columns) {
    const type = types.get(column);
    if (!type) throw new Error(`insertRows: ${table} has no column ${column}`);
    const values = rows.map((r) => valueFor(table, column, type, r[column]));
    if (type.json) {
      // JSON values go as one JSON document (each value wrapped in an array, so SQL NULL stays apart from
      // JSON null): an array literal would quote and escape every quotation mark of every value.
      const alias = sql.id(`j${documents.length}`);
      documents.push(sql`JOIN jsonb_array_elements(${sql.val(`[${values.map((v) => (v === null ? 'null' : `[${v as string}]`)).join(',')}]`)}::jsonb)
        WITH ORDINALITY AS ${alias}(e, n) ON ${alias}.n = u.n`);
      selected.push(sql`${alias}.e -> 0`);
    } else if (type.array) {
      params.push(sql`${sql.val(values)}::text[]`);
      names.push(sql.id(column));
      selected.push(sql`${sql.ref(`u.${column}`)}::${sql.raw(type.sql)}`);
    } else {
      params.push(sql`${sql.val(values)}::${sql.raw(type.sql)}[]`);
      names.push(sql.id(column));
      selected.push(sql.ref(`u.${column}`));
    }
  }
  if (params.length === 0) throw new Error(`insertRows: ${table} needs a column that is not JSON`);
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.id(c)))})
    SELECT ${sql.join(selected)} FROM unnest(${sql.join(params)}) WITH ORDINALITY AS u(${sql.join(names)}, n) ${sql.join(documents, sql` `)}
    ORDER BY u.n`.execute(db);
}

function valueFor(table: string, column: string, type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && 'toOperationNode' in value) throw new Error(`insertRows: ${table}.${column} is a SQL expression; write it with Kysely`);
  if (type.array) {
    if (!Array.isArray(value)) throw new Error(`insertRows: ${table}.${column} takes an array`);
    return arrayLiteral(table, column, value);
  }
  // JSON as text: a string is JSON already (as Kysely callers give it), anything else is written as JSON.
  if (type.json) return typeof value === 'string' ? value : JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** A one-dimensional PostgreSQL array literal: each element quoted, with its backslashes and quotes escaped. */
function arrayLiteral(table: string, column: string, values: readonly unknown[]): string {
  const elements = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new Error(`insertRows: ${table}.${column} takes strings, numbers or booleans`);
    return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${elements.join(',')}}`;
}
