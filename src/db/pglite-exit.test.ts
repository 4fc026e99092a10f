import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('../../test/pglite-exit-child.ts', import.meta.url));

/** Runs the child with a scenario; a child still running after 60 s is killed (the spin this guards against). */
function runChild(how: string): Promise<{ results: string[] | undefined; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, how], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 60_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      resolve({ results: line ? (JSON.parse(line) as string[]) : undefined, killed });
    });
  });
}

// Embedded PGlite in both projects: the server's backends are processes of their own.
describe('embedded PGlite after its backend exits', () => {
  it('fails each later statement, naming the FATAL error, instead of spinning', async () => {
    const { results, killed } = await runChild('idle-timeout');
    expect(killed).toBe(false);
    expect(results).toHaveLength(5);
    const [one, set, begin, two, three] = results!;
    expect(one).toBe('ok [{"one":1}]');
    expect(set).toBe('ok []');
    expect(begin).toBe('ok []');
    expect(two).toBe(
      "PGliteBackendExited: The embedded database's backend exited (status 1): FATAL: terminating connection due to idle-in-transaction timeout; reopen the database",
    );
    expect(three).toBe(two);
  }, 90_000);

  it('answers as before when the backend stays up', async () => {
    const { results, killed } = await runChild('none');
    expect(killed).toBe(false);
    expect(results).toEqual(['ok [{"one":1}]', 'ok [{"three":3}]']);
  }, 90_000);
});
