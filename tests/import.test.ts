// credits import with real files and a real database: opening balances from a CSV file and from
// a query over the app's own (renamed) tables; the ledger sound afterwards and the month's
// statement showing them; the same import again bringing nothing twice; other figures under the
// same import id refused; bad rows all reported by line with nothing written; a dry run; two
// runs of one import at once.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBalances } from '../src/adoption/import.js';
import * as client from '../src/generated/client.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations } from './helpers/ledger.js';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
  dir = await mkdtemp(path.join(tmpdir(), 'credits-import-'));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
let files = 0;
async function csv(lines: string[]): Promise<string> {
  const file = path.join(dir, `import-${++files}.csv`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** Everything an import could write. */
async function footprint() {
  const [row] = await db.sql`
    select (select count(*) from credit_transactions)::int ledger, (select count(*) from user_credits)::int accounts,
           (select coalesce(sum(credits), 0) from user_credits)::text credits,
           (select count(*) from credits_private.promotional_lots)::int lots,
           (select count(*) from credits_private.credit_imports)::int imports,
           (select count(*) from credits_private.credit_import_rows)::int staged`;
  return row;
}

describe('credits import', () => {
  it('imports a CSV file: accounts on their tiers, a ledger row per bucket, promotional lots; the ledger sound', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const file = await csv([
      'user_id,tier,monthly,purchased,promotional,promotional_expires_at,promotional_reason',
      `${a},basic,40,250,,,`,
      `${b},pro,0,0,30,${inAWeek},"welcome back, friend"`,
      `${c},free,,,,,`,
    ]);
    const result = await importBalances(db.sql, { importId: 'csv-1', reason: 'opening balances', source: { csv: file } });
    expect(result).toMatchObject({
      ok: true,
      dryRun: false,
      summary: { rows: 3, accounts: 3, accountsCreated: 3, skipped: 0, monthly: 40n, purchased: 250n, promotional: 30n, total: 320n },
    });
    const balance = (userId: string) => client.getCreditBalance(db.sql, { userId });
    expect(await balance(a)).toMatchObject({ tier: 'basic', total_credits: 290, monthly_credits: 40, purchased_credits: 250 });
    expect(await balance(b)).toMatchObject({ tier: 'pro', total_credits: 30, promotional_credits: 30 });
    expect(await balance(c)).toMatchObject({ tier: 'free', total_credits: 0 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
    const statement = await client.creditStatement(db.sql, { userId: a });
    expect(statement).toMatchObject({ opening_balance: 0, adjusted: 290, closing_balance: 290, transactions: 2 });
    expect((await client.creditStatement(db.sql, { userId: b })).promoted).toBe(30);
    // spent like any credits: promotional first
    await client.startGeneration(db.sql, { userId: b, taskType: 'enhance', provider: 'p', model: 'm', credits: 5 });
    expect(await balance(b)).toMatchObject({ total_credits: 25, promotional_credits: 25 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('brings nothing twice under one import id, and refuses other figures for a user it brought, naming both', async () => {
    const user = randomUUID();
    const file = await csv(['user_id,tier,purchased', `${user},basic,100`]);
    await importBalances(db.sql, { importId: 'again', reason: 'r', source: { csv: file } });
    const before = await footprint();
    const again = await importBalances(db.sql, { importId: 'again', reason: 'r', source: { csv: file } });
    expect(again).toMatchObject({ ok: true, summary: { accounts: 0, skipped: 1, total: 0n } });
    expect(await footprint()).toEqual(before);
    const other = await importBalances(db.sql, {
      importId: 'again',
      reason: 'r',
      source: { csv: await csv(['user_id,tier,purchased', `${user},basic,120`]) },
    });
    expect(other).toMatchObject({ ok: false, problems: [{ line: 2, problem: expect.stringContaining(`already brought user ${user}`) }] });
    expect(JSON.stringify(other)).toMatch(/0 monthly, 100 purchased.*this line says 0, 120, 0/);
    expect(await footprint()).toEqual(before);
    // the same user under another import id: added
    const next = await importBalances(db.sql, {
      importId: 'again-2',
      reason: 'r',
      source: { csv: await csv(['user_id,tier,purchased', `${user},basic,5`]) },
    });
    expect(next).toMatchObject({ ok: true, summary: { accounts: 1, accountsCreated: 0, purchased: 5n } });
    expect((await client.getCreditBalance(db.sql, { userId: user })).total_credits).toBe(105);
  });

  it('reports every bad row with its line, exits 1 from the CLI, and writes nothing', async () => {
    const dup = randomUUID();
    const file = await csv([
      'user_id,tier,monthly,purchased,promotional,promotional_expires_at',
      'not-a-uuid,basic,40,,,',
      `${randomUUID()},gold,1,2,3,${inAWeek}`,
      `${randomUUID()},free,abc,0,0,`,
      `${randomUUID()},free,-5,0,0,`,
      `${dup},free,1,0,0,`,
      `${dup},free,2,0,0,`,
      `${randomUUID()},free,0,0,3,2020-01-01T00:00:00Z`,
      `${randomUUID()},free,0,0,3,`,
      `${randomUUID()},free,1,1`,
    ]);
    const before = await footprint();
    const cli = await runCli(['import', 'bad', '--csv', file, '--reason', 'opening balances'], { DATABASE_URL: db.url });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('import bad refused, nothing was written: 9 problems');
    for (const [line, text] of [
      [2, 'user_id not-a-uuid is not a UUID'],
      [3, "unknown tier 'gold'"],
      [4, "monthly 'abc' is not a whole number of credits"],
      [5, 'negative amount (monthly -5'],
      [6, `user ${dup} is on 2 lines`],
      [7, `user ${dup} is on 2 lines`],
      [8, 'the promotional expiry 2020-01-01 00:00:00+00 has passed'],
      [9, 'promotional credits need an expiry'],
      [10, '4 fields, the header has 6'],
    ] as const) {
      expect(cli.stderr).toContain(`line ${line}: ${text}`);
    }
    expect(await footprint()).toEqual(before);
    const json = JSON.parse((await runCli(['import', 'bad', '--csv', file, '--reason', 'r', '--json'], { DATABASE_URL: db.url })).stdout);
    expect(json).toMatchObject({ importId: 'bad', ok: false });
    expect(json.problems).toHaveLength(9);
  });

  it('--dry-run says what it would write and writes nothing', async () => {
    const file = await csv(['user_id,tier,monthly,purchased', `${randomUUID()},basic,10,20`, `${randomUUID()},pro,0,5`]);
    const before = await footprint();
    const cli = await runCli(['import', 'dry', '--csv', file, '--reason', 'r', '--dry-run'], { DATABASE_URL: db.url });
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(cli.stdout).toContain('dry run: would import 2 accounts (2 new)');
    expect(cli.stdout).toContain('10 monthly, 25 purchased, 0 promotional credits, 35 in all');
    expect(await footprint()).toEqual(before);
  });

  it("imports from a query over the app's own renamed table, and keeps an existing account's tier", async () => {
    const [fresh, existing] = [randomUUID(), randomUUID()];
    await client.ensureCreditAccount(db.sql, { userId: existing, tier: 'pro' }); // 500 this month
    await db.sql`create table app_user_credits (user_id uuid primary key, balance integer not null)`;
    await db.sql`insert into app_user_credits values (${fresh}, 70), (${existing}, 30)`;
    const result = await runCli(
      [
        'import',
        'from-app',
        '--from-sql',
        "select user_id, 'basic' as tier, balance as purchased from app_user_credits",
        '--reason',
        'from the app',
      ],
      { DATABASE_URL: db.url },
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('imported 2 accounts (1 new)');
    expect(result.stdout).toContain('1 existing account kept its own tier');
    expect(await client.getCreditBalance(db.sql, { userId: fresh })).toMatchObject({ tier: 'basic', total_credits: 70 });
    expect(await client.getCreditBalance(db.sql, { userId: existing })).toMatchObject({ tier: 'pro', total_credits: 530 });
    // the comparison docs/operations.md gives: the old sum against the ledger's, per user
    const mismatches = await db.sql`
      select a.user_id from app_user_credits a cross join lateral get_credit_balance(a.user_id) b
       where b.purchased_credits < a.balance`;
    expect(mismatches).toEqual([]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('two runs of one import at once bring each account once', async () => {
    const users = Array.from({ length: 50 }, () => randomUUID());
    const file = await csv(['user_id,tier,purchased', ...users.map((u) => `${u},free,7`)]);
    const runs = await Promise.all([1, 2].map(() => importBalances(db.sql, { importId: 'twice', reason: 'r', source: { csv: file } })));
    const accounts = runs.map((r) => (r.ok ? r.summary.accounts : -1)).sort();
    expect(accounts).toEqual([0, 50]);
    const [row] =
      await db.sql`select count(*)::int n, sum(amount)::int credits from credit_transactions where description like 'import twice:%'`;
    expect(row).toEqual({ n: 50, credits: 350 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('reads what spreadsheets write (a byte order mark, CRLF, blank lines, quoted line breaks) and fails fast on what it cannot', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const file = path.join(dir, 'excel.csv');
    await writeFile(
      file,
      `\uFEFF"user_id","tier","purchased","promotional","promotional_expires_at","promotional_reason"\r\n${a},free,5,,,\r\n\r\n${b},free,,2,2027-03-01,"two\r\nlines"\r\n`,
    );
    expect(await importBalances(db.sql, { importId: 'excel', reason: 'r', source: { csv: file } })).toMatchObject({
      ok: true,
      summary: { accounts: 2, purchased: 5n, promotional: 2n },
    });
    const before = await footprint();
    // nothing waits for ever: a missing file, a quote never closed
    expect((await runCli(['import', 'nope', '--csv', path.join(dir, 'missing.csv'), '--reason', 'r'], { DATABASE_URL: db.url })).code).toBe(
      1,
    );
    const open = await csv(['user_id,tier,promotional_reason', `${randomUUID()},free,"never closed`]);
    const unclosed = await runCli(['import', 'open', '--csv', open, '--reason', 'r'], { DATABASE_URL: db.url });
    expect(unclosed).toMatchObject({ code: 1, stderr: expect.stringContaining('a quoted field is not closed') });
    const header = await runCli(
      ['import', 'hdr', '--csv', await csv(['user_id,tier,balance', `${randomUUID()},free,5`]), '--reason', 'r'],
      {
        DATABASE_URL: db.url,
      },
    );
    expect(header).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown balance') });
    // strict dates: no date that does not exist, no local or US reading
    const dates = await importBalances(db.sql, {
      importId: 'dates',
      reason: 'r',
      source: {
        csv: await csv([
          'user_id,tier,promotional,promotional_expires_at',
          `${randomUUID()},free,1,2027-02-30`,
          `${randomUUID()},free,1,01/02/2027`,
        ]),
      },
    });
    expect(dates).toMatchObject({ ok: false, problems: [{ line: 2 }, { line: 3 }] });
    expect(JSON.stringify(dates)).toContain('is not an ISO 8601 date and time');
    expect(await footprint()).toEqual(before);
  });

  it('--from-sql refuses a column it does not know and reports unreadable values by row', async () => {
    await db.sql`create table app_credits_2 (user_id text, tier text, balance numeric(12, 2))`;
    await db.sql`insert into app_credits_2 values (${randomUUID()}, 'free', 10), ('x', 'free', 5.5)`;
    const before = await footprint();
    const unaliased = await importBalances(db.sql, {
      importId: 'sql-cols',
      reason: 'r',
      source: { query: 'select user_id, tier, balance from app_credits_2;' },
    });
    expect(unaliased).toMatchObject({ ok: false, problems: [{ problem: expect.stringContaining('unknown balance') }] });
    const values = await importBalances(db.sql, {
      importId: 'sql-values',
      reason: 'r',
      source: { query: 'select user_id, tier, balance as purchased from app_credits_2' },
    });
    expect(values.ok).toBe(false);
    const problems = JSON.stringify(values);
    expect(problems).toContain("purchased '10.00' is not a whole number of credits");
    expect(problems).toContain('user_id x is not a UUID');
    expect(await footprint()).toEqual(before);
  });

  it('starts the month of a legacy account never allocated, so the allocation does not expire what it brought', async () => {
    const user = randomUUID();
    await client.ensureCreditAccount(db.sql, { userId: user, tier: 'free' });
    await db.sql`update user_credits set period_start = null, credits = 0, monthly_credits = 0 where user_id = ${user}`;
    await db.sql`delete from credit_transactions where user_id = ${user}`;
    await importBalances(db.sql, {
      importId: 'legacy',
      reason: 'r',
      source: { csv: await csv(['user_id,tier,monthly', `${user},free,4`]) },
    });
    await client.allocateMonthlyCredits(db.sql);
    // its month started by the import (the tier's 10), the 4 imported on top: none expired
    expect(await client.getCreditBalance(db.sql, { userId: user })).toMatchObject({ monthly_credits: 14 });
    expect(await db.sql`select amount from credit_transactions where user_id = ${user} and type = 'expiration'`).toEqual([]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('runs again after a promotional expiry of its own has passed (bringing nothing), and two imports sharing users never deadlock', async () => {
    const user = randomUUID();
    const soon = new Date(Date.now() + 3000).toISOString();
    const file = await csv(['user_id,tier,promotional,promotional_expires_at', `${user},free,3,${soon}`]);
    expect((await importBalances(db.sql, { importId: 'soon', reason: 'r', source: { csv: file } })).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(await importBalances(db.sql, { importId: 'soon', reason: 'r', source: { csv: file } })).toMatchObject({
      ok: true,
      summary: { skipped: 1 },
    });
    const users = Array.from({ length: 300 }, () => randomUUID());
    const up = csv(['user_id,tier,purchased', ...users.map((u) => `${u},free,1`)]);
    const down = csv(['user_id,tier,purchased', ...[...users].reverse().map((u) => `${u},free,1`)]);
    const runs = await Promise.all([
      importBalances(db.sql, { importId: 'shared-a', reason: 'r', source: { csv: await up } }),
      importBalances(db.sql, { importId: 'shared-b', reason: 'r', source: { csv: await down } }),
    ]);
    expect(runs.map((r) => r.ok)).toEqual([true, true]);
    const [row] = await db.sql`select count(*)::int n, sum(credits)::int c from user_credits where user_id = any(${users})`;
    expect(row).toEqual({ n: 300, c: 600 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('takes one source: both or neither is a usage error', async () => {
    const both = await runCli(['import', 'x', '--csv', 'a.csv', '--from-sql', 'select 1', '--reason', 'r'], { DATABASE_URL: db.url });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('import takes one source: --csv FILE or --from-sql QUERY');
    expect((await runCli(['import', 'x', '--reason', 'r'], { DATABASE_URL: db.url })).code).toBe(2);
  });
});
