// The credits CLI as operators expect a command line to behave (issue 9 §2): whole output through
// a pipe, usage errors (exit 2) caught before connecting, per-command help, --version, a connect
// timeout, a plain word for an unmigrated database, and one JSON shape per figure.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { cliPath, runCli, tsx } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const exec = promisify(execFile);
const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** A server that accepts TCP connections and never says a word; counts them. */
async function silentServer() {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgres://operator:s3cret@127.0.0.1:${port}/ledger`,
    port,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `credits ...args | reader`: the reader waits before reading, so the pipe fills up. */
async function pipedJson(args: string[], url: string): Promise<{ cliCode: number; bytes: number; json: unknown }> {
  const reader = `setTimeout(() => { let s = ''; process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => (s += d)).on('end', () => process.stdout.write(JSON.stringify({ bytes: Buffer.byteLength(s), json: JSON.parse(s) }))); }, 500)`;
  const quoted = [tsx, cliPath, ...args].map((a) => `'${a}'`).join(' ');
  const script = `${quoted}; echo "cli exit $?" >&2`;
  const { stdout, stderr } = await exec('bash', ['-c', `(${script}) | node -e "$READER"`], {
    env: { ...process.env, DATABASE_URL: url, READER: reader },
    maxBuffer: 64 * 1024 * 1024,
  });
  const cliCode = Number(/cli exit (\d+)/.exec(stderr)?.[1]);
  return { cliCode, ...(JSON.parse(stdout) as { bytes: number; json: unknown }) };
}

let fresh: TestDatabase; // empty: nothing migrated
let db: TestDatabase; // migrated, with generations of 400 providers today

beforeAll(async () => {
  [fresh, db] = await Promise.all([createTestDatabase({ empty: true, max: 1 }), createTestDatabase({ max: 2 })]);
  await db.sql`
    insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, provider_cost_usd,
                                   created_at, updated_at, submitted_at, completed_at)
    select gen_random_uuid(), 'enhance', 'provider_' || lpad(i::text, 4, '0'), 'model-a', 'completed', 1, 0.039,
           -- seconds ago, not hours: "today" (UTC) must hold them even just after midnight
           now() - interval '2 seconds', now() - interval '1 second', now() - interval '2 seconds', now() - interval '1 second'
      from generate_series(1, 400) i`;
});
afterAll(async () => {
  await Promise.all([fresh?.drop(), db?.drop()]);
});

describe('output through a pipe', () => {
  it('delivers a whole --json document to a slow reader: migrate up on a fresh database, with names and hashes', async () => {
    const { cliCode, json } = await pipedJson(['migrate', 'up', '--json'], fresh.url);
    expect(cliCode).toBe(0);
    const report = json as {
      migrations: string[];
      definitions: { changed: Record<string, unknown>[]; removed: unknown[]; unchanged: number };
    };
    expect(report.migrations[0]).toBe('0001_legacy_baseline');
    expect(report.definitions.changed.length).toBeGreaterThan(20);
    for (const d of report.definitions.changed) {
      expect(Object.keys(d).sort()).toEqual(['kind', 'name', 'sha256']); // no SQL text
      expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('delivers more than a pipe buffer (64 KiB) whole: dashboard --json with 400 providers', async () => {
    const { cliCode, bytes, json } = await pipedJson(['dashboard', '--json', '--refresh'], db.url);
    expect(cliCode).toBe(0);
    expect(bytes).toBeGreaterThan(100_000);
    expect((json as { providers: unknown[] }).providers).toHaveLength(400);
  });
});

describe('usage errors: exit 2, the argument named, nothing connected', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it.each([
    [['allocate', '--period', '2026-13-01'], '--period'],
    [['allocate', '--period', '2026-12-02'], '--period'],
    [['balance', 'not-a-uuid'], '<user-id>'],
    [['balance'], '<user-id>'],
    [['sweep', '--older-than', 'banana'], '--older-than'],
    [['sweep', '--older-than', '30 fortnights'], '--older-than'],
    [['sweep', '--older-than', '0 minutes'], '--older-than'],
    [['sweep', '--limit', '0'], '--limit'],
    [['sweep', '--limit', '100001'], '--limit'],
    [['sweep', '--limit', 'ten'], '--limit'],
    [['sweep', '--limit'], '--limit'],
    [['refunds', 'backfill', '--apply', '--batch-size', '-5'], '--batch-size'],
    [['refunds', 'backfill', '--batch-size', '100'], '--batch-size'],
    [['status', '--apply', '--period', '2020-01-01'], '--apply'],
    [['dashboard', '--older-than', '1 hour'], '--older-than'],
    [['status', '--json=yes'], '--json'],
    [['migrate', 'up', 'x'], 'N'],
    [['migrate', 'sideways'], 'sideways'],
    [['status', '--database-url', 'not-a-url'], '--database-url'],
    [['status', '--connect-timeout', 'soon'], '--connect-timeout'],
  ])('credits %j names %s', async (args, named) => {
    const result = await runCli(args, { DATABASE_URL: server.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(named);
    expect(result.stderr).toContain('Usage: credits');
    expect(result.stdout).toBe('');
    expect(server.connections()).toBe(0);
  });

  it('names DATABASE_URL when the environment holds no connection string, and asks for one when it is missing', async () => {
    const bad = await runCli(['status'], { DATABASE_URL: 'not-a-url' });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('DATABASE_URL') });
    const missing = await runCli(['status'], { DATABASE_URL: undefined });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--database-url') });
    const badTimeout = await runCli(['status'], { DATABASE_URL: server.url, PGCONNECT_TIMEOUT: 'x' });
    expect(badTimeout).toMatchObject({ code: 2, stderr: expect.stringContaining('PGCONNECT_TIMEOUT') });
    expect(server.connections()).toBe(0);
  });
});

describe('help and version', () => {
  it("prints a command's help for `credits <command> --help` and `credits help <command>`", async () => {
    const flag = await runCli(['sweep', '--help'], { DATABASE_URL: undefined });
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^Usage: credits sweep \[--older-than INTERVAL\] \[--limit N\]/);
    expect(flag.stdout).not.toContain('allocate'); // not the global usage
    expect(await runCli(['help', 'sweep'], { DATABASE_URL: undefined })).toEqual(flag);
  });

  it("prints a group's help and a sub-command's help", async () => {
    const group = await runCli(['migrate', '--help']);
    expect(group).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: credits migrate <up\|down\|status\|adopt>/) });
    expect(group.stdout).toContain('migrate adopt');
    const up = await runCli(['migrate', 'up', '--help']);
    expect(up).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: credits migrate up \[N\]/) });
    expect(await runCli(['help', 'refunds', 'backfill'])).toMatchObject({ code: 0, stdout: expect.stringContaining('--batch-size N') });
  });

  it('prints the package version for --version and -v', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await runCli(['-v'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('a server that accepts TCP and never answers', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it.each([
    [['status', '--connect-timeout', '1'], {}],
    [['migrate', 'up', '--connect-timeout', '1'], {}],
    [['balance', '00000000-0000-0000-0000-000000000000'], { PGCONNECT_TIMEOUT: '1' }],
  ])('credits %j gives up after the timeout with exit 1, naming the server without its password', async (args, env) => {
    const started = Date.now();
    const result = await runCli(args, { DATABASE_URL: server.url, ...env });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`127.0.0.1:${server.port}/ledger`);
    expect(result.stderr).not.toContain('s3cret');
    expect(seconds).toBeLessThan(9); // 1 s of timeout plus the start-up of tsx on a busy machine; the default is 10 s
    expect(server.connections()).toBeGreaterThan(0);
  });

  it('names the server it cannot reach (a closed port), exit 1', async () => {
    const closed = await silentServer();
    await closed.close();
    const result = await runCli(['status'], { DATABASE_URL: closed.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach operator@127.0.0.1:${closed.port}/ledger`);
    expect(result.stderr).not.toContain('s3cret');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('says where it connects when stderr is a terminal', async () => {
    // script(1) gives the CLI a pseudo-terminal; its output is the terminal's.
    const command = [tsx, cliPath, 'status', '--connect-timeout', '1'].map((a) => `'${a}'`).join(' ');
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], { env: { ...process.env, DATABASE_URL: server.url } }).catch(
      (e: { stdout: string }) => e,
    );
    expect(stdout).toContain(`connecting to operator@127.0.0.1:${server.port}/ledger`);
    expect(stdout).not.toContain('s3cret');
  });
});

describe('on a database that is not migrated', () => {
  it.each([[['balance', '00000000-0000-0000-0000-000000000000']], [['dashboard']], [['refunds', 'audit']]])(
    'credits %j says to run `credits migrate up` first (exit 1)',
    async (args) => {
      const empty = await createTestDatabase({ empty: true, max: 1 });
      try {
        const result = await runCli(args, { DATABASE_URL: empty.url });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('run `credits migrate up` first');
      } finally {
        await empty.drop();
      }
    },
  );
});

describe('output shapes', () => {
  it('prints a balance vertically, one figure per line', async () => {
    const userId = '11111111-1111-4111-8111-111111111111';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`;
    const result = await runCli(['balance', userId], { DATABASE_URL: db.url });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^user_id +${userId}$`));
    expect(lines).toContainEqual(expect.stringMatching(/^total_credits +100$/));
    expect(lines).toContainEqual(expect.stringMatching(/^tier +basic$/));
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(80);
  });

  it('changes a plan with tier: an upgrade now, the same key replayed, an unknown tier refused', async () => {
    const userId = '22222222-2222-4222-8222-222222222222';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`;
    const up = await runCli(['tier', userId, 'pro', '--key', 'evt_1', '--json'], { DATABASE_URL: db.url });
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toEqual({
      tier: 'pro',
      pending_tier: null,
      outcome: 'upgraded',
      credits_granted: 400,
      balance: 500,
      replayed: false,
    });
    const again = await runCli(['tier', userId, 'pro', '--key', 'evt_1'], { DATABASE_URL: db.url });
    expect(again.stdout).toMatch(/^replayed +true$/m);
    const unknown = await runCli(['tier', userId, 'platinum', '--key', 'evt_2'], { DATABASE_URL: db.url });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('CR003');
    const keyless = await runCli(['tier', userId, 'free'], { DATABASE_URL: db.url });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('--key is required');
    expect(await db.sql`select tier, credits::int from user_credits where user_id = ${userId}`).toEqual([{ tier: 'pro', credits: 500 }]);
  });

  it('grants promotional credits with promote and expires them with expire-promotions', async () => {
    const userId = '44444444-4444-4444-8444-444444444444';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'free')`;
    const args = ['promote', userId, '25', '--valid-for', '7d', '--reason', 'launch week', '--key', 'launch:44'];
    const granted = await runCli([...args, '--json'], { DATABASE_URL: db.url });
    expect(granted.code).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ balance: 35, replayed: false, expires_at: expect.stringMatching(/\+00:00$/) });
    expect((await runCli(args, { DATABASE_URL: db.url })).stdout).toMatch(/^replayed +true$/m);
    const reused = await runCli(['promote', userId, '30', '--valid-for', '7d', '--reason', 'launch week', '--key', 'launch:44'], {
      DATABASE_URL: db.url,
    });
    expect(reused.code).toBe(1);
    expect(reused.stderr).toContain('CR006');
    const missing = await runCli(['promote', userId, '25', '--reason', 'x', '--key', 'k'], { DATABASE_URL: db.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--valid-for is required');
    const tooLong = await runCli(['promote', userId, '25', '--valid-for', '400d', '--reason', 'x', '--key', 'k'], { DATABASE_URL: db.url });
    expect(tooLong.code).toBe(2);

    await db.sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = ${userId}::uuid`;
    const expired = await runCli(['expire-promotions', '--json'], { DATABASE_URL: db.url });
    expect(expired.code).toBe(0);
    expect(JSON.parse(expired.stdout)).toEqual({ lots: 1, accounts: 1, creditsExpired: 25 });
    expect((await runCli(['expire-promotions'], { DATABASE_URL: db.url })).stdout).toContain('no promotional lot is past its date');
    expect(await db.sql`select credits::int, promotional_credits::int from user_credits where user_id = ${userId}::uuid`).toEqual([
      { credits: 10, promotional_credits: 0 },
    ]);
  });

  it("pages through a history and prints a month's statement", async () => {
    const userId = '33333333-3333-4333-8333-333333333333';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`;
    // grants, not generations: the dashboard test below counts this database's generations
    for (let i = 0; i < 3; i++) await db.sql`select grant_credits(${userId}::uuid, 2, 'pack', ${`pack-${i}`})`;
    const first = await runCli(['history', userId, '--limit', '2', '--json'], { DATABASE_URL: db.url });
    expect(first.code).toBe(0);
    const page = JSON.parse(first.stdout) as { id: string; type: string; amount: number }[];
    expect(page.map((r) => [r.type, r.amount])).toEqual([
      ['purchase', 2],
      ['purchase', 2],
    ]);
    const next = await runCli(['history', userId, '--limit', '2', '--before', page[1]!.id], { DATABASE_URL: db.url });
    expect(next.stdout).toMatch(/purchase +2/);
    expect(next.stdout).toMatch(/allocation +100/);
    const tooMany = await runCli(['history', userId, '--limit', '5000'], { DATABASE_URL: db.url });
    expect(tooMany.code).toBe(2);
    const statement = await runCli(['statement', userId, '--json'], { DATABASE_URL: db.url });
    expect(JSON.parse(statement.stdout)).toMatchObject({
      opening_balance: 0,
      allocated: 100,
      purchased: 6,
      closing_balance: 106,
      transactions: 4,
    });
  });

  it('gives dashboard --json figures the shapes admin_credit_stats gives them', async () => {
    const result = await runCli(['dashboard', '--json', '--refresh'], { DATABASE_URL: db.url });
    expect(result.code).toBe(0);
    const dashboard = JSON.parse(result.stdout);
    const [row] = await db.sql`select admin_credit_stats() as stats`;
    const stats = row!.stats;
    // The same health document, field for field (the clock may not have moved between the two reads).
    expect(dashboard.health).toEqual(stats.health);
    expect(dashboard.health).toMatchObject({
      day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      success_rate: 1,
      success_rate_min: expect.any(Number),
      refund_rate_max: expect.any(Number),
      failures: 0,
      failures_max: expect.any(Number),
      rollups_refreshed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/),
    });
    const [today] = dashboard.daily;
    expect(today).toMatchObject({
      period_start: dashboard.health.day,
      generations: 400,
      completed: 400,
      success_rate: 1,
      success_rate_min: dashboard.health.success_rate_min,
      success_below_threshold: false,
      cost_usd: '15.600000', // money: an exact decimal string, as in admin_credit_stats
      cost_per_generation: '0.039000',
    });
    expect(dashboard.providers[0]).toMatchObject({
      generations: 1,
      completed: 1,
      success_rate: 1,
      cost_usd: expect.stringMatching(/^0\.039/),
    });
    expect(stats.totals.provider_cost_usd).toBe('15.600000');
  });

  it('writes credit sums in --json as numbers (sweep, allocate)', async () => {
    const sweep = JSON.parse((await runCli(['sweep', '--older-than', '1 hour 30 minutes', '--json'], { DATABASE_URL: db.url })).stdout);
    expect(sweep).toEqual({ olderThan: '1 hour 30 minutes', tasks: 0, submitted: 0, neverSubmitted: 0, creditsRefunded: 0 });
    const allocate = JSON.parse((await runCli(['allocate', '--json'], { DATABASE_URL: db.url })).stdout);
    expect(allocate).toMatchObject({
      accounts: expect.any(Number),
      creditsAllocated: expect.any(Number),
      creditsExpired: expect.any(Number),
    });
  });
});
