// The DBA guide's commands, run as a DBA would: the credits CLI in a child process against a
// database holding the legacy fixture. Output figures and exit codes are what the guide shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLegacyFixture } from '../tools/seeds/legacy-fixture.js';
import { migrateUp } from '../src/migrate/index.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

let db: TestDatabase;
const credits = (...args: string[]) => runCli(args, { DATABASE_URL: db.url });

beforeAll(async () => {
  db = await createTestDatabase({ empty: true, max: 2 });
  await migrateUp({ databaseUrl: db.url, count: 1 });
  await loadLegacyFixture(db.sql, 1000);
});
afterAll(() => db.drop());

describe('the credits CLI on a legacy database', () => {
  it('walks through the adoption as the guide writes it', async () => {
    const check = await credits('cleanup', 'check');
    expect(check).toMatchObject({ code: 0 });
    expect(check.stdout).toContain('credit_pools 2 rows, credit_purchase_requests 10 rows');

    const up = await credits('migrate', 'up');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^ran \d+ migrations \(0002_credits_ledger to \d{4}_\w+\); applied \d+ functions and views/);
    expect(up.stdout.trimEnd().split('\n')).toHaveLength(1); // the details with --verbose

    const audit = await credits('refunds', 'audit');
    expect(audit.stdout).toContain('failed tasks never refunded: 1000, users owed: 1000, credits owed: 1999');

    const dry = await credits('refunds', 'backfill');
    expect(dry.stdout).toContain('dry run: would refund 1999 credits for 1000 tasks of 1000 users');
    const applied = await credits('refunds', 'backfill', '--apply', '--batch-size', '300', '--json');
    expect(JSON.parse(applied.stdout)).toMatchObject({ dryRun: false, tasks: 1000, users: 1000, credits: 1999, batches: 4 });
    expect(applied.stderr).toBe(''); // no progress lines in --json mode
    expect((await credits('refunds', 'backfill')).stdout).toContain('would refund 0 credits for 0 tasks');

    const status = JSON.parse((await credits('migrate', 'status', '--json')).stdout);
    expect(status).toMatchObject({ pending: [], changed: [], removed: [] });
    expect((await credits('cleanup', 'check')).stdout).toContain('already archived');
  });

  it('runs the daily commands: expire-stale-generations, allocate-monthly-credits, balance, status', async () => {
    // The fixture's stuck legacy tasks (one user in four) are failed and refunded, in batches.
    const sweep = await credits('expire-stale-generations', '--limit', '100', '--json');
    expect(JSON.parse(sweep.stdout)).toMatchObject({ tasks: 250, olderThan: '30 minutes' });
    expect(JSON.parse((await credits('expire-stale-generations', '--json')).stdout)).toMatchObject({ tasks: 0 });

    const allocation = JSON.parse((await credits('allocate-monthly-credits', '--json')).stdout);
    // Legacy accounts were last allocated 95 days ago; those the backfill refunded started this
    // month then (lazy roll-over): between the two, every account is in the month.
    expect(allocation.accounts).toBeLessThanOrEqual(1000);
    const [inMonth] =
      await db.sql`select count(*)::int n from user_credits where period_start = date_trunc('month', now() at time zone 'UTC')::date`;
    expect(inMonth!.n).toBe(1000);
    expect(JSON.parse((await credits('allocate-monthly-credits', '--json')).stdout).accounts).toBe(0);

    const [user] = await db.sql`select user_id from user_credits order by user_id limit 1`;
    const balance = await credits('balance', user!.user_id, '--json');
    const [expected] = await db.sql`select total_credits::int, monthly_credits::int, purchased_credits::int, tier, period_start::text
                                      from get_credit_balance(${user!.user_id})`;
    // the account's figures (bigints, exact as JSON numbers), the period as a day
    expect(JSON.parse(balance.stdout)).toMatchObject({ ...expected });
    expect(expected!.period_start).toBe(`${new Date().toISOString().slice(0, 8)}01`);

    const status = await credits('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/ledger: sound \(verify_ledger in \d+ ms\)/);
    expect(status.stdout).toContain('none pending');
  });

  it("status as the service role (a login role granted credits_service): the ledger checked, the owner's history said to be unreadable", async () => {
    const role = `credits_status_${Math.random().toString(36).slice(2, 10)}`;
    await db.sql.unsafe(`create role ${role} login password '${role}' in role credits_service`); // the embedded server asks for one
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = role;
      const status = await runCli(['status'], { DATABASE_URL: url.toString() });
      expect(status).toMatchObject({ code: 0 });
      expect(status.stdout).toMatch(/migrations: not readable as credits_status_/);
      expect(status.stdout).toMatch(/ledger: sound/);
    } finally {
      await db.sql.unsafe(`drop role ${role}`);
    }
  });

  it('answers usage errors with exit code 2 and the help', async () => {
    expect(await credits('refunds', 'nonsense')).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: credits') });
    expect(await credits('migrate', 'up', 'x')).toMatchObject({ code: 2 });
    expect(await credits('expire-stale-generations', '--limit', '0')).toMatchObject({ code: 2 });
    expect(await credits('balance')).toMatchObject({ code: 2 });
    expect(await credits('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('refunds backfill') });
  });

  it('reports a refused operation with exit code 1, its SQLSTATE and detail', async () => {
    const result = await credits('migrate', 'down', '99');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot roll back 0001_legacy_baseline');
    const missing = await credits('balance', '00000000-0000-0000-0000-000000000000');
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no credit account for this user (CR002)') });
  });
});
