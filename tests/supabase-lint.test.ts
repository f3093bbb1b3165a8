// The Supabase CLI's database linter (`supabase db lint`: plpgsql_check over every schema) on a
// migrated database, as a Supabase user runs it before a deploy: any finding, warnings included,
// fails the suite. It needs no Docker with --db-url; plpgsql_check must be installed on the
// server (npm test's prerequisites do so), so it runs on the machine's PostgreSQL only.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

// Installed by npm test's first step (tools/test-prerequisites.ts), pinned at 2.117.0.
const supabase = path.resolve('node_modules', '.cache', 'supabase-cli', 'node_modules', '.bin', 'supabase');

// The package's schemas (the test databases also hold pgTAP's, which is not ours to lint).
const schemas = ['public', 'credits_private', 'credits_meta', 'monitoring', 'monitoring_private', 'archive'];

async function lint(db: TestDatabase): Promise<{ code: number; output: string }> {
  const url = `${db.url}${db.url.includes('?') ? '&' : '?'}sslmode=disable`;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      supabase,
      ['db', 'lint', '--db-url', url, '--schema', schemas.join(','), '--level', 'warning', '--fail-on', 'warning'],
      { timeout: 90_000, env: { ...process.env, DO_NOT_TRACK: '1', SUPABASE_TELEMETRY_DISABLED: '1' } },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}${String(error)}` };
  }
}

let clean: TestDatabase;
let broken: TestDatabase;
beforeAll(async () => {
  if (!existsSync(supabase))
    throw new Error(`no Supabase CLI at ${supabase}: npm test's first step installs it (tools/test-prerequisites.ts)`);
  [clean, broken] = await Promise.all([createTestDatabase({ max: 1 }), createTestDatabase({ max: 1 })]);
});
afterAll(() => Promise.all([clean?.drop(), broken?.drop()]));

it('supabase db lint finds nothing in the migrated package, at warning level', async () => {
  const { code, output } = await lint(clean);
  expect(output).toContain('No schema errors found');
  expect(code).toBe(0);
  for (const schema of schemas) expect(output).toContain(`Linting schema: ${schema}`);
});

it('fails on a finding (a function reading a column that does not exist)', async () => {
  await broken.sql.unsafe(`create function credits_private.lint_probe() returns bigint language plpgsql
    set search_path to pg_catalog, pg_temp as $$ begin return (select no_such_column from public.user_credits limit 1); end $$`);
  const { code, output } = await lint(broken);
  expect(code).not.toBe(0);
  expect(output).toContain('credits_private.lint_probe');
});
