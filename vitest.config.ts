import { defineConfig } from 'vitest/config';

// Every test runs on embedded PGlite; when DATABASE_URL names a PostgreSQL server (as in CI),
// the same tests run again on it. The browser test runs once, on PGlite.
// setup-clock.ts fails the run on a timer Node cannot wait for (a faked clock taken back too far).
const shared = { testTimeout: 60_000, hookTimeout: 120_000, setupFiles: ['test/setup-clock.ts'] };

export default defineConfig({
  test: {
    // A test is named in the output when it fails or takes more than five seconds.
    slowTestThreshold: 5_000,
    // Every file has a database of its own (test/helpers.ts), so two files run side by side: one
    // per core on the two-core machines CI runs on.
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'pglite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          env: { JIGSAW_TEST_ENGINE: 'pglite' },
          globalSetup: ['test/pglite-global-setup.ts'],
        },
      },
      ...(process.env.DATABASE_URL
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
                exclude: ['test/e2e/**'],
                env: { JIGSAW_TEST_ENGINE: 'postgres' },
                globalSetup: ['test/postgres-global-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
