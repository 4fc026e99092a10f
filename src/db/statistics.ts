import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * The tables a bulk load fills (and the outbox its chunks announce their entries to), whose planner
 * statistics it keeps current while it runs. The first is the one whose size measures the load's growth.
 */
export const LOADED_TABLES = [
  'source_record', 'source_record_version', 'person', 'person_name', 'person_identifier', 'person_address',
  'person_detail_history', 'person_match_key', 'person_match_profile', 'identity_review_item',
  'event', 'event_person', 'access_log', 'intake_record', 'intake_row', 'missing_episode', 'outbox',
] as const satisfies readonly (keyof Database)[];

/** Rows loaded before the first refresh, and the least between refreshes. */
const FIRST_REFRESH = 1_000;
/** Growth (a share of the rows there were at the last refresh) that calls for the next one. */
const GROWTH = 0.5;
/**
 * The statistics target while loading (PostgreSQL's default is 100): ANALYZE samples 300 rows per unit,
 * so 7,500 rows a table. On PGlite ANALYZE runs on this thread; the default sample of 30,000 rows took
 * 160 ms a table at 20,000 records, and more as tables grow, which every request would wait for. The
 * load's own statements need the tables' sizes and rough distributions, not fine histograms; a server's
 * autovacuum (and the seed's full ANALYZE) gathers those.
 */
const SAMPLE_TARGET = 25;

/**
 * Keeps planner statistics current while a bulk load (an import) fills tables.
 *
 * PostgreSQL plans each statement from statistics that ANALYZE gathers. Embedded PGlite runs no
 * autovacuum, so without this its statistics describe the tables as they were before the load (often
 * empty) for ever; a server's autovacuum catches up only once a minute at best, and may be off. Planned
 * for empty tables, the reads a load makes for each chunk (candidates, the people they belong to, the
 * entries the outbox processors check) scan whole tables, so every chunk took longer than the one
 * before.
 *
 * The rule is autovacuum's, with larger steps: refresh after the first thousand records, then each
 * time the load has grown the tables by half, so a load of n records refreshes about log(n) times
 * (13 times for a first import of 100,000).
 * Each table is analysed on its own, with a turn for other requests between them (on PGlite the
 * database is one connection on this thread). The application's role owns no table, so it analyses
 * through refresh_planner_statistics (a function that runs as the tables' owner and only analyses).
 */
export class StatisticsUpkeep {
  #sinceRefresh = 0;
  #atRefresh: number | null = null;

  constructor(private readonly db: Kysely<Database>, private readonly tables: readonly (keyof Database & string)[] = LOADED_TABLES) {}

  /** Notes `rows` loaded; refreshes the statistics when the load has grown enough since the last time. */
  async loaded(rows: number): Promise<boolean> {
    this.#sinceRefresh += rows;
    this.#atRefresh ??= await this.#rowsHeld();
    if (this.#sinceRefresh < Math.max(FIRST_REFRESH, GROWTH * this.#atRefresh)) return false;
    await this.refresh();
    return true;
  }

  /** Analyses every table now. */
  async refresh(): Promise<void> {
    for (const table of this.tables) {
      await sql`SELECT refresh_planner_statistics(${table}::regclass, ${SAMPLE_TARGET}::int)`.execute(this.db);
      await nextTurn();
    }
    this.#sinceRefresh = 0;
    this.#atRefresh = await this.#rowsHeld();
  }

  /** The planner's estimate of the first table's rows (none before it was ever analysed). */
  async #rowsHeld(): Promise<number> {
    const row = (await sql<{ n: number }>`SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = to_regclass(${this.tables[0]!})`.execute(this.db)).rows[0];
    return row?.n ?? 0;
  }
}
