// Type-aware correctness checks (run by `npm run lint`, and so by `npm test`). Style is not linted:
// these rules catch promises that are dropped, awaited by mistake or handed to code that ignores them.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'public/', 'data/', '.bench-data/', 'coverage/', '**/*.js', '**/*.mjs'] },
  {
    // The files tsconfig.json type-checks (type-aware rules need the project's types).
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Directives written for rules this set does not run (require-yield, say) are left alone.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // A promise nobody awaits loses its errors (an unhandled rejection) and its ordering.
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where a plain value is expected: an async callback to a caller that does not wait for it, or a promise in a condition.
      '@typescript-eslint/no-misused-promises': 'error',
      // Awaiting something that is not a promise is a sign the code is not what its author thought.
      '@typescript-eslint/await-thenable': 'error',
      // for…in over an array walks its keys as strings, not its items.
      '@typescript-eslint/no-for-in-array': 'error',
      // delete on an array leaves a hole instead of removing the item.
      '@typescript-eslint/no-array-delete': 'error',
      // Code in strings run as code.
      '@typescript-eslint/no-implied-eval': 'error',
    },
  },
);
