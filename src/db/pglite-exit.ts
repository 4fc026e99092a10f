import type { PGlite } from '@electric-sql/pglite';

/**
 * When PGlite's backend ends with a FATAL error (for example an idle-in-transaction timeout), its
 * WASM runtime throws an ExitStatus out of PostgresMainLoopOnce. PGlite's protocol loop
 * (execProtocolRawSync) catches every exception it does not recognise and calls the loop again, which
 * exits again, forever: the process spins at full CPU, no timer can fire, and nothing answers
 * (electric-sql/pglite#1058). One connection is the whole database here, so a hang is an outage.
 *
 * This turns that exit into an error: the first statement after it, and every later one, fails with
 * `PGliteBackendExited`, naming the FATAL message PostgreSQL printed (its fixed text, never a
 * statement's values). The loop's catch only reads the exception's `status` to recognise its own
 * longjmp; the exception thrown here throws the error when that field is read, so it leaves the loop.
 */
export class PGliteBackendExited extends Error {
  constructor(readonly exitStatus: number, readonly fatal: string | undefined) {
    super(`The embedded database's backend exited (status ${exitStatus})${fatal ? `: ${fatal}` : ''}; reopen the database`);
    this.name = 'PGliteBackendExited';
  }
}

/** PGlite's own longjmp back to the protocol loop after an ERROR: not an exit (PGlite.POSTGRES_MAIN_LONGJMP). */
const MAIN_LONGJMP = 100;

interface ExitLike {
  name?: unknown;
  status?: unknown;
}

/** Where the backend's FATAL messages go: pass to PGlite.create as `onStderr`, then to `failOnBackendExit`. */
export class FatalMessages {
  #last: string | undefined;
  /** PGlite's onStderr: keeps the last FATAL or PANIC message (the message text only, at most 300 characters). */
  readonly onStderr = (line: string): boolean => {
    const m = /\b(FATAL|PANIC):\s+(.*)$/.exec(line);
    if (m) this.#last = `${m[1]}: ${m[2]}`.slice(0, 300);
    return true; // handled: PGlite prints nothing more
  };
  get last(): string | undefined {
    return this.#last;
  }
}

/** Makes `client` fail with PGliteBackendExited, rather than spin, once its backend has exited. */
export function failOnBackendExit(client: PGlite, fatal: FatalMessages): void {
  const mod = client.Module as unknown as { _PostgresMainLoopOnce: () => unknown };
  const once = mod._PostgresMainLoopOnce;
  let exited: PGliteBackendExited | undefined;
  const leaveLoop = (err: Error) => ({
    get status(): never {
      throw err;
    },
  });
  mod._PostgresMainLoopOnce = () => {
    if (exited) throw leaveLoop(exited);
    try {
      return once();
    } catch (e) {
      const x = e as ExitLike | null;
      if (x && typeof x === 'object' && x.name === 'ExitStatus' && x.status !== MAIN_LONGJMP) {
        exited = new PGliteBackendExited(Number(x.status), fatal.last);
        throw leaveLoop(exited);
      }
      throw e;
    }
  };
}
