// Adopting a live database (issue: cleanup, reconciliation, refund audit and backfill) on the
// realistic legacy fixture: thousands of users, every kind of legacy row.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLegacyFixture } from '../seeds/legacy-fixture.js';
import { backfillRefunds } from '../src/adoption/refunds.js';
import { cleanupPreflight } from '../src/adoption/cleanup.js';
import { migrateDown, migrateUp, migrationFiles } from '../src/migrate/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations, type Sql } from './helpers/ledger.js';

const USERS = 3000;
const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.drop()));
});

/** A database at the legacy baseline holding the fixture. */
async function legacyDatabase(users = USERS) {
  const db = await createTestDatabase({ empty: true, max: 6 });
  opened.push(db);
  await migrateUp({ databaseUrl: db.url, count: 1 });
  await loadLegacyFixture(db.sql, users);
  return db;
}

const md5uuid = (text: string) => {
  const h = createHash('md5').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
/** What the backfill owes, from the fixture's own rule (task 2 of every user failed unrefunded). */
function expectedRefunds(users = USERS) {
  return new Map(Array.from({ length: users }, (_, k) => k + 1).map((i) => [md5uuid(`legacy-task-${i}-2`), 1 + ((i + 2) % 3)]));
}

// credits as text: integer before 0007, bigint (a string from the driver) after
const balances = (sql: Sql) => sql`select user_id, credits::text from user_credits order by user_id`.then((r) => r.map((x) => ({ ...x })));
const ledgerCount = (sql: Sql) => sql`select count(*)::int n from credit_transactions`.then((r) => r[0]!.n as number);

describe('adoption of the legacy fixture', () => {
  it('archives the pools, keeps every balance, and goes down and up again without loss', async () => {
    const db = await legacyDatabase();
    const pools = await db.sql`select * from credit_pools order by id`;
    const requests = await db.sql`select * from credit_purchase_requests order by id`;
    const before = await balances(db.sql);
    expect(requests.length).toBe(USERS / 100);

    expect((await cleanupPreflight(db.url)).state).toBe('ready');
    await migrateUp({ databaseUrl: db.url });
    expect(await balances(db.sql)).toEqual(before);
    expect(await ledgerViolations(db.sql)).toEqual([]);
    expect([...(await db.sql`select * from archive.credit_pools order by id`)]).toEqual([...pools]);
    expect([...(await db.sql`select * from archive.credit_purchase_requests order by id`)]).toEqual([...requests]);
    const [gone] = await db.sql`select to_regclass('public.credit_pools') t, to_regclass('public.credit_purchase_requests') r,
                                       to_regprocedure('public.consume_platform_credits(text, integer)') f`;
    expect(gone).toEqual({ t: null, r: null, f: null });
    expect(await db.sql`select proname from pg_proc where proname ~* 'refill|consume_platform'`).toEqual([]);
    expect((await cleanupPreflight(db.url)).state).toBe('done');

    const ledger = await ledgerCount(db.sql);
    await migrateDown({ databaseUrl: db.url, count: (await migrationFiles()).length - 1 });
    expect([...(await db.sql`select * from public.credit_pools order by id`)]).toEqual([...pools]);
    expect([...(await db.sql`select * from public.credit_purchase_requests order by id`)]).toEqual([...requests]);
    expect(await db.sql`select consume_platform_credits('wavespeed', 1) ok`).toEqual([{ ok: true }]);
    const [acl] = await db.sql`select has_function_privilege('anon', 'consume_platform_credits(text, integer)', 'execute') anon,
                                      has_function_privilege('credits_service', 'consume_platform_credits(text, integer)', 'execute') service`;
    expect(acl).toEqual({ anon: true, service: true }); // the legacy default: EXECUTE for PUBLIC
    const poolsWhileRolledBack = await db.sql`select * from credit_pools order by id`; // the legacy app used them meanwhile

    await migrateUp({ databaseUrl: db.url });
    expect(await balances(db.sql)).toEqual(before);
    expect(await ledgerCount(db.sql)).toBe(ledger);
    expect(await ledgerViolations(db.sql)).toEqual([]);
    expect([...(await db.sql`select * from archive.credit_pools order by id`)]).toEqual([...poolsWhileRolledBack]);
  });

  it('backfills exactly the missing refunds: dry run writes nothing, the second run refunds nothing', async () => {
    const db = await legacyDatabase();
    await migrateUp({ databaseUrl: db.url });
    // Accounts start this month first: otherwise each refund would start it for its account
    // (lazy roll-over) and the balances would move by the allowance too.
    await db.sql.unsafe('call run_monthly_allocation()');
    const expected = expectedRefunds();
    const before = await ledgerCount(db.sql);

    const dry = await db.sql`select task_id, credits::int, refunded from backfill_missing_refunds()`;
    expect(new Map(dry.map((r) => [r.task_id, r.credits]))).toEqual(expected);
    expect(dry.every((r) => r.refunded === false)).toBe(true);
    expect(await ledgerCount(db.sql)).toBe(before);

    const owed = await db.sql`select user_id, sum(credits)::int owed from monitoring.missing_refunds group by 1`;
    const balanceBefore = new Map((await balances(db.sql)).map((b) => [b.user_id, Number(b.credits)]));
    const applied = await db.sql`select task_id, credits::int, refunded, balance from backfill_missing_refunds(false)`;
    expect(new Map(applied.map((r) => [r.task_id, r.credits]))).toEqual(expected);
    expect(await ledgerCount(db.sql)).toBe(before + expected.size);
    for (const { user_id, owed: credits } of owed) {
      const [row] = await db.sql`select credits::int from user_credits where user_id = ${user_id}`;
      expect(row!.credits).toBe(balanceBefore.get(user_id) + credits);
    }
    const [marked] = await db.sql`select count(*)::int n from credit_transactions where type = 'refund' and origin = 'backfill'`;
    expect(marked!.n).toBe(expected.size);

    expect(await db.sql`select * from backfill_missing_refunds(false)`).toEqual([]);
    expect(await db.sql`select * from monitoring.missing_refunds`).toEqual([]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('shares the work between concurrent backfills: each task is refunded once', async () => {
    const db = await legacyDatabase(1500);
    await migrateUp({ databaseUrl: db.url });
    const expected = expectedRefunds(1500);
    const runs = await Promise.all([
      db.sql`select task_id from backfill_missing_refunds(false)`.then((r) => r.map((x) => x.task_id as string)),
      backfillRefunds(db.sql, { batchSize: 100 }).then(() => [] as string[]),
      db.sql`select task_id from backfill_missing_refunds(false)`.then((r) => r.map((x) => x.task_id as string)),
    ]);
    const [refunds] = await db.sql`select count(*)::int n, count(distinct task_id)::int tasks, sum(amount)::int credits
                                     from credit_transactions where origin = 'backfill'`;
    expect(refunds).toEqual({ n: expected.size, tasks: expected.size, credits: [...expected.values()].reduce((a, b) => a + b, 0) });
    expect(new Set(runs.flat()).size).toBe(runs.flat().length);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('refuses the cleanup while something depends on the pools, and names it', async () => {
    const db = await legacyDatabase(50);
    await db.sql`create view pool_dashboard as select provider, remaining_credits from credit_pools`;
    await db.sql.unsafe(`create function refill_pool() returns void language plpgsql as
                           'begin perform consume_platform_credits(''wavespeed'', -100); end'`);
    const preflight = await cleanupPreflight(db.url);
    expect(preflight.state).toBe('blocked');
    expect(preflight.dependants).toEqual(['function refill_pool() mentions consume_platform_credits', 'view pool_dashboard reads credit_pools']);

    const error = await migrateUp({ databaseUrl: db.url }).catch((e: { code?: string; detail?: string }) => e);
    expect(error).toMatchObject({ code: '2BP01' });
    expect((error as { detail: string }).detail).toContain('view pool_dashboard reads credit_pools');
    const [still] = await db.sql`select count(*)::int n from public.credit_pools`;
    expect(still!.n).toBe(2);

    await db.sql`drop view pool_dashboard`;
    await db.sql`drop function refill_pool()`;
    await migrateUp({ databaseUrl: db.url });
    expect(await db.sql`select to_regclass('public.credit_pools') t`).toEqual([{ t: null }]);
  });
});
