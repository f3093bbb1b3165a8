// The credits CLI as operators expect a command line to behave (issue 9 §2) where a database is
// involved: whole output through a pipe, a plain word for an unmigrated database, and one JSON
// shape per figure. What needs no server (usage errors, help, the connect timeout) is in
// tests/cli-usage.test.ts.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { cliCommand, requireBuiltCli, runCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const exec = promisify(execFile);

/** `credits ...args | reader`: the reader waits before reading, so the pipe fills up. */
async function pipedJson(args: string[], url: string): Promise<{ cliCode: number; bytes: number; json: unknown }> {
  const reader = `setTimeout(() => { let s = ''; process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => (s += d)).on('end', () => process.stdout.write(JSON.stringify({ bytes: Buffer.byteLength(s), json: JSON.parse(s) }))); }, 500)`;
  requireBuiltCli();
  const quoted = [...cliCommand, ...args].map((a) => `'${a}'`).join(' ');
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
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^user_id +${userId}$`));
    expect(lines).toContainEqual(expect.stringMatching(/^total_credits +100$/));
    expect(lines).toContainEqual(expect.stringMatching(/^tier +basic$/));
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(80);
  });

  it('changes a plan with tier: an upgrade now, the same key replayed, an unknown tier refused', async () => {
    const userId = '22222222-2222-4222-8222-222222222222';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`;
    const up = await runCli(['change-tier', userId, 'pro', '--key', 'evt_1', '--json'], { DATABASE_URL: db.url });
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toEqual({
      tier: 'pro',
      pending_tier: null,
      outcome: 'upgraded',
      credits_granted: 400,
      balance: 500,
      replayed: false,
    });
    const again = await runCli(['change-tier', userId, 'pro', '--key', 'evt_1'], { DATABASE_URL: db.url });
    expect(again.stdout).toMatch(/^replayed +true$/m);
    const unknown = await runCli(['change-tier', userId, 'platinum', '--key', 'evt_2'], { DATABASE_URL: db.url });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('CR003');
    const keyless = await runCli(['change-tier', userId, 'free'], { DATABASE_URL: db.url });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('--key is required');
    expect(await db.sql`select tier, credits::int from user_credits where user_id = ${userId}`).toEqual([{ tier: 'pro', credits: 500 }]);
  });

  it('takes credits back with revoke-credits and void-promotional-grant; edits tiers with tiers set and list', async () => {
    const userId = '33333333-3333-4333-8333-333333333399';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`; // 100 monthly
    const [grant] = await db.sql`select lot_id::int from grant_promotional_credits(${userId}::uuid, 20, '7 days', 'launch', 'promo')`;
    const revoke = ['revoke-credits', userId, '150', '--reason', 'chargeback', '--key', 'dp_1', '--json'];
    const first = await runCli(revoke, { DATABASE_URL: db.url });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ revoked: 150, debt_credits: 30, balance: 0, replayed: false });
    expect(JSON.parse((await runCli(revoke, { DATABASE_URL: db.url })).stdout)).toMatchObject({ debt_credits: 30, replayed: true });
    const voided = await runCli(['void-promotional-grant', userId, String(grant!.lot_id), '--reason', 'abuse', '--json'], {
      DATABASE_URL: db.url,
    });
    expect(JSON.parse(voided.stdout)).toEqual({ lot_id: grant!.lot_id, expired_credits: 0, balance: 0, outcome: 'voided' });
    const balance = await runCli(['balance', userId], { DATABASE_URL: db.url });
    expect(balance.stdout).toMatch(/^debt_credits +30$/m);
    // the same, as the ledger had it at an instant (credit_balance_at); before the account: CR003
    const at = await runCli(['balance', userId, '--at', new Date().toISOString(), '--json'], { DATABASE_URL: db.url });
    expect(JSON.parse(at.stdout)).toEqual({
      total_credits: 0,
      monthly_credits: 0,
      purchased_credits: 0,
      promotional_credits: 0,
      debt_credits: 30,
    });
    const before = await runCli(['balance', userId, '--at', '2020-01-01T00:00:00Z'], { DATABASE_URL: db.url });
    expect([before.code, before.stderr.includes('CR003')]).toEqual([1, true]);

    const set = await runCli(
      ['tiers', 'set', 'cli-studio', '--allowance', '2000', '--threshold', '50', '--rollover-cap', '200', '--json'],
      {
        DATABASE_URL: db.url,
      },
    );
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({
      tier: 'cli-studio',
      monthly_allowance: 2000,
      low_balance_threshold: 50,
      max_in_flight: null,
      daily_credit_limit: null,
      rollover_cap: 200,
      created: true,
      accounts: 0,
    });
    // every value replaced: what is left out is none (a rollover cap: 0)
    const again = await runCli(['tiers', 'set', 'cli-studio', '--allowance', '0', '--max-in-flight', '3', '--json'], {
      DATABASE_URL: db.url,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({
      monthly_allowance: 0,
      low_balance_threshold: null,
      max_in_flight: 3,
      rollover_cap: 0,
    });
    const list = JSON.parse((await runCli(['tiers', 'list', '--json'], { DATABASE_URL: db.url })).stdout) as { tier: string }[];
    expect(list.map((t) => t.tier)).toEqual(expect.arrayContaining(['free', 'basic', 'pro', 'cli-studio']));
    const refused = await runCli(['tiers', 'set', 'cli-studio', '--allowance', '10', '--daily-credits', 'tier'], { DATABASE_URL: db.url });
    expect(refused.code).toBe(2);
  });

  it('sets an automatic top-up with set-auto-top-up, declines its request with decline-top-up, and turns it off', async () => {
    // its own database: the charge below is a generation the dashboard's shapes below must not count
    const own = await createTestDatabase({ max: 1 });
    try {
      const userId = '33333333-3333-4333-8333-3333333333aa';
      await own.sql`select ensure_credit_account(${userId}::uuid, 'basic')`; // 100 monthly
      const set = await runCli(['set-auto-top-up', userId, '--threshold', '50', '--target', '200', '--monthly-limit', '500', '--json'], {
        DATABASE_URL: own.url,
      });
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toEqual({
        threshold: 50,
        target: 200,
        monthly_limit: 500,
        requested_this_month: 0,
        open_event_id: null,
      });
      await own.sql`select start_generation(${userId}::uuid, 'image', 'wavespeed', 'm', 60)`; // 40: asks for 160
      const [request] =
        await own.sql`select id::int from credits_private.credit_events where user_id = ${userId} and kind = 'top_up_requested'`;
      const declined = await runCli(['decline-top-up', String(request!.id), '--json'], { DATABASE_URL: own.url });
      expect(JSON.parse(declined.stdout)).toEqual({ event_id: request!.id, user_id: userId, credits: 160, outcome: 'declined' });
      expect((await runCli(['decline-top-up', String(request!.id)], { DATABASE_URL: own.url })).stdout).toMatch(
        /^outcome +already_declined$/m,
      );
      const off = await runCli(['set-auto-top-up', userId, '--off', '--json'], { DATABASE_URL: own.url });
      expect(JSON.parse(off.stdout)).toEqual({
        threshold: null,
        target: null,
        monthly_limit: null,
        requested_this_month: 160,
        open_event_id: null,
      });
      const refused = await runCli(['set-auto-top-up', userId, '--threshold', '50', '--target', '50'], { DATABASE_URL: own.url });
      expect([refused.code, refused.stderr.includes('CR003')]).toEqual([1, true]);
    } finally {
      await own.drop();
    }
  });

  it('closes the ledger with close-ledger, again already closed; an instant to come is refused', async () => {
    const own = await createTestDatabase({ max: 1 });
    try {
      const first = await runCli(['close-ledger', '--json'], { DATABASE_URL: own.url });
      expect(first.code).toBe(0);
      const midnight = `${new Date().toISOString().slice(0, 10)}T00:00:00+00:00`;
      expect(JSON.parse(first.stdout)).toEqual({ closed_through: midnight, ledger_rows: 0, accounts: 0, outcome: 'closed' });
      expect((await runCli(['close-ledger'], { DATABASE_URL: own.url })).stdout).toMatch(/^outcome +already_closed$/m);
      const future = await runCli(['close-ledger', '--through', '2999-01-01T00:00:00Z'], { DATABASE_URL: own.url });
      expect([future.code, future.stderr.includes('CR003')]).toEqual([1, true]);
    } finally {
      await own.drop();
    }
  });

  it('grants promotional credits with grant-promotional-credits and expires them with expire-promotional-credits', async () => {
    const userId = '44444444-4444-4444-8444-444444444444';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'free')`;
    const args = ['grant-promotional-credits', userId, '25', '--valid-for', '7d', '--reason', 'launch week', '--key', 'launch:44'];
    const granted = await runCli([...args, '--json'], { DATABASE_URL: db.url });
    expect(granted.code).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ balance: 35, replayed: false, expires_at: expect.stringMatching(/\+00:00$/) });
    expect((await runCli(args, { DATABASE_URL: db.url })).stdout).toMatch(/^replayed +true$/m);
    const reused = await runCli(
      ['grant-promotional-credits', userId, '30', '--valid-for', '7d', '--reason', 'launch week', '--key', 'launch:44'],
      {
        DATABASE_URL: db.url,
      },
    );
    expect(reused.code).toBe(1);
    expect(reused.stderr).toContain('CR006');
    const missing = await runCli(['grant-promotional-credits', userId, '25', '--reason', 'x', '--key', 'k'], { DATABASE_URL: db.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--valid-for is required');
    // --valid-for is read by PostgreSQL, as the typed client's validFor: the database says what it refuses, naming the option
    const tooLong = await runCli(['grant-promotional-credits', userId, '25', '--valid-for', '400d', '--reason', 'x', '--key', 'k'], {
      DATABASE_URL: db.url,
    });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/credits: --valid-for must be between .*\(CR003\)/);
    const unreadable = await runCli(['grant-promotional-credits', userId, '25', '--valid-for', '1 mnth', '--reason', 'x', '--key', 'k'], {
      DATABASE_URL: db.url,
    });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('credits: --valid-for: invalid input syntax for type interval');

    await db.sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = ${userId}::uuid`;
    const expired = await runCli(['expire-promotional-credits', '--json'], { DATABASE_URL: db.url });
    expect(expired.code).toBe(0);
    expect(JSON.parse(expired.stdout)).toEqual({ lots: 1, accounts: 1, creditsExpired: 25 });
    expect((await runCli(['expire-promotional-credits'], { DATABASE_URL: db.url })).stdout).toContain(
      'no promotional lot is past its date',
    );
    expect(await db.sql`select credits::int, promotional_credits::int from user_credits where user_id = ${userId}::uuid`).toEqual([
      { credits: 10, promotional_credits: 0 },
    ]);
  });

  it("takes --valid-for as PostgreSQL reads an interval: '1 month', '2 weeks', as the typed client does", async () => {
    const userId = '55555555-5555-4555-8555-555555555555';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'free')`;
    const grant = async (validFor: string, key: string) => {
      const result = await runCli(
        ['grant-promotional-credits', userId, '5', '--valid-for', validFor, '--reason', 'promo', '--key', key, '--json'],
        {
          DATABASE_URL: db.url,
        },
      );
      expect(result).toMatchObject({ code: 0, stderr: '' });
      return (Date.parse(JSON.parse(result.stdout).expires_at) - Date.now()) / 86_400_000;
    };
    const month = await grant('1 month', 'month');
    expect(month).toBeGreaterThan(27);
    expect(month).toBeLessThan(32);
    expect(await grant('2 weeks', 'weeks')).toBeCloseTo(14, 1);
    expect(await grant('12 hours', 'hours')).toBeCloseTo(0.5, 1);
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

  it('prints history lines within 100 columns, the description last and cut; --json keeps every column', async () => {
    const userId = '66666666-6666-4666-8666-666666666666';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`;
    const reason = `goodwill after the outage of the image provider on the first of the month, ticket ${'x'.repeat(150)}`;
    await db.sql`select grant_credits(${userId}::uuid, 1000000, ${reason}, 'big-goodwill')`;
    const text = await runCli(['history', userId], { DATABASE_URL: db.url });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^created_at +type +amount +balance +description$/);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +purchase +1000000 +1000100 +goodwill after the outage.*…$/);
    const json = JSON.parse((await runCli(['history', userId, '--json'], { DATABASE_URL: db.url })).stdout) as Record<string, unknown>[];
    expect(Object.keys(json[0]!).sort()).toEqual(
      [
        'amount',
        'balance_after',
        'created_at',
        'debt_amount',
        'description',
        'id',
        'member_id',
        'monthly_amount',
        'origin',
        'period_start',
        'promotional_amount',
        'task_id',
        'type',
      ].sort(),
    );
    expect(json[0]!.description).toBe(reason);
  });

  it("prints a statement's figures in the order of its sum: promoted and revoked with the other amounts, the debts after the balances", async () => {
    const userId = '77777777-7777-4777-8777-777777777777';
    await db.sql`select ensure_credit_account(${userId}::uuid, 'basic')`;
    const text = await runCli(['statement', userId], { DATABASE_URL: db.url });
    expect(text.code).toBe(0);
    const keys = text.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/ +/)[0]);
    expect(keys).toEqual([
      'user_id',
      'period_start',
      'period_end',
      'opening_balance',
      'allocated',
      'purchased',
      'promoted',
      'used',
      'refunded',
      'settled',
      'expired',
      'adjusted',
      'revoked',
      'closing_balance',
      'opening_debt',
      'closing_debt',
      'transactions',
    ]);
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

  it('writes the keys docs/cli.md documents, and only those (expire-stale-generations, allocate-monthly-credits, expire-promotional-credits)', async () => {
    const shapes = readFileSync(path.join(packageRoot, 'docs/cli.md'), 'utf8');
    const documented = (command: string) => {
      const line = new RegExp(`^${command} +(\\{.*\\})$`, 'm').exec(shapes)?.[1];
      expect(line, `docs/cli.md documents ${command} --json`).toBeDefined();
      return [...line!.replace(/"[^"]*"/g, '').matchAll(/(\w+)\s*(?=[:,}])/g)].map((m) => m[1]).sort();
    };
    for (const command of ['expire-stale-generations', 'allocate-monthly-credits', 'expire-promotional-credits']) {
      const result = await runCli([command, '--json'], { DATABASE_URL: db.url });
      expect(Object.keys(JSON.parse(result.stdout)).sort(), command).toEqual(documented(command));
    }
    expect(documented('expire-stale-generations')).toEqual(expect.arrayContaining(['submitted', 'neverSubmitted']));
  });

  it("refuses a --lease past claim_generations_to_reconcile's day before connecting (exit 2, naming it)", async () => {
    const lease = await runCli(['reconcile', '--lease', '2 days'], { DATABASE_URL: db.url, WAVESPEED_API_KEY: 'unused' });
    expect(lease.code).toBe(2);
    expect(lease.stderr).toContain('--lease "2 days": more than a day');
  });

  it("checks each command's --limit against the range its SQL function accepts: its maximum passes, one more is CR003", async () => {
    const { limits, maxPromotionalCredits } = await import('../src/cli/spec.js');
    type Tx = postgres.TransactionSql;
    const calls: Record<keyof typeof limits, (tx: Tx, n: number) => Promise<unknown>> = {
      'expire-stale-generations': (tx, n) => tx`select count(*) from expire_stale_generations(p_limit => ${n})`,
      reconcile: (tx, n) => tx`select count(*) from claim_generations_to_reconcile(p_provider => 'none', p_limit => ${n})`,
      history: (tx, n) => tx`select count(*) from credit_history(p_user_id => gen_random_uuid(), p_limit => ${n})`,
      'expire-promotional-credits': (tx, n) => tx`select * from expire_promotional_credits(p_limit => ${n})`,
    };
    const promote = async (tx: Tx, n: number) => {
      const user = crypto.randomUUID();
      await tx`select ensure_credit_account(${user}::uuid, 'free')`;
      return tx`select * from grant_promotional_credits(${user}::uuid, ${n}, '1 day', 'range check', 'range')`;
    };
    const outcome = (call: (tx: Tx) => Promise<unknown>) =>
      db.sql
        .begin(async (tx) => {
          await call(tx);
          throw new Error('rolled back');
        })
        .catch((e: { code?: string; message: string }) => e.code ?? e.message);
    for (const [command, { max }] of Object.entries(limits) as [keyof typeof limits, { max: number }][]) {
      expect(await outcome((tx) => calls[command](tx, max)), `${command} --limit ${max}`).toBe('rolled back');
      expect(await outcome((tx) => calls[command](tx, max + 1)), `${command} --limit ${max + 1}`).toBe('CR003');
    }
    expect(await outcome((tx) => promote(tx, maxPromotionalCredits))).toBe('rolled back');
    expect(await outcome((tx) => promote(tx, maxPromotionalCredits + 1))).toBe('CR003');
  });

  it('says what migrate up did in one line; --verbose lists each migration, file and privilege statement', async () => {
    const empty = await createTestDatabase({ empty: true, max: 1 });
    try {
      const up = await runCli(['migrate', 'up', '2'], { DATABASE_URL: empty.url });
      expect(up).toMatchObject({ code: 0, stderr: '' });
      // privilege statements where the cluster has Supabase's service_role (it is granted what credits_service holds)
      expect(up.stdout).toMatch(
        /^ran 2 migrations \(0001_legacy_baseline to 0002_credits_ledger\); functions and views left as they are until the latest migration has run(; \d+ privilege statements?)? \(--verbose lists them\)\n$/,
      );
      const rest = await runCli(['migrate', 'up'], { DATABASE_URL: empty.url });
      expect(rest.code).toBe(0);
      expect(rest.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(rest.stdout).toMatch(/^ran \d+ migrations \(0003_archive_platform_pools to \d{4}_\w+\); applied \d+ functions and views/);
      expect(rest.stdout).not.toMatch(/^(grant|revoke) /m);
      expect((await runCli(['migrate', 'up'], { DATABASE_URL: empty.url })).stdout).toBe('up to date\n');
      await runCli(['migrate', 'down'], { DATABASE_URL: empty.url });
      const verbose = await runCli(['migrate', 'up', '--verbose'], { DATABASE_URL: empty.url });
      expect(verbose.stdout).toMatch(/^migrated up: \d{4}_\w+$/m);
      expect(verbose.stdout).toMatch(/^applied: functions\/public\/start_generation\.sql$/m);
      expect(verbose.stdout.trimEnd().split('\n').at(-1)).toMatch(/^ran 1 migration \(\d{4}_\w+\); applied \d+ functions and views/);
    } finally {
      await empty.drop();
    }
  });

  it('runs a command by its former name, the same, with a note on stderr', async () => {
    const former = await runCli(['expire-promotions', '--json'], { DATABASE_URL: db.url });
    expect(former.code).toBe(0);
    expect(former.stderr).toContain("'expire-promotions' is deprecated, use 'expire-promotional-credits'");
    expect(Object.keys(JSON.parse(former.stdout)).sort()).toEqual(['accounts', 'creditsExpired', 'lots'].sort());
  });

  it('writes credit sums in --json as numbers (expire-stale-generations, allocate-monthly-credits)', async () => {
    const sweep = JSON.parse(
      (await runCli(['expire-stale-generations', '--older-than', '1 hour 30 minutes', '--json'], { DATABASE_URL: db.url })).stdout,
    );
    expect(sweep).toEqual({ olderThan: '1 hour 30 minutes', tasks: 0, submitted: 0, neverSubmitted: 0, creditsRefunded: 0 });
    const allocate = JSON.parse((await runCli(['allocate-monthly-credits', '--json'], { DATABASE_URL: db.url })).stdout);
    expect(allocate).toMatchObject({
      accounts: expect.any(Number),
      creditsAllocated: expect.any(Number),
      creditsExpired: expect.any(Number),
    });
  });
});
