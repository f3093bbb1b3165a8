// Adopting a live database (issue: cleanup, reconciliation, refund audit and backfill) on the
// realistic legacy fixture: thousands of users, every kind of legacy row.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLegacyFixture } from '../tools/seeds/legacy-fixture.js';
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
    await db.sql.unsafe('call allocate_monthly_credits_in_batches()');
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
      db.sql`select task_id from backfill_missing_refunds(false) where refunded`.then((r) => r.map((x) => x.task_id as string)),
      backfillRefunds(db.sql, { batchSize: 100 }).then(() => [] as string[]),
      db.sql`select task_id from backfill_missing_refunds(false) where refunded`.then((r) => r.map((x) => x.task_id as string)),
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
    expect(preflight.dependants).toEqual([
      'function refill_pool() mentions consume_platform_credits',
      'view pool_dashboard reads credit_pools',
    ]);

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

describe('legacy refund rows that refund no charge (issue 10, item 5)', () => {
  const id = (name: string) => md5uuid(`odd-refund-${name}`);
  /** Every shape the legacy application could leave, besides the fixture's ordinary rows. */
  async function oddRefunds(sql: Sql) {
    await sql.unsafe(`
      insert into enhancement_tasks (id, user_id, task_type, provider, status, credits_used, created_at, updated_at, completed_at)
      values ('${id('completed')}', '${id('u1')}', 'enhance', 'wavespeed', 'completed', 5, now() - interval '3 days', now() - interval '3 days', now() - interval '3 days'),
             ('${id('never-charged')}', '${id('u3')}', 'enhance', 'wavespeed', 'failed', 2, now() - interval '3 days', now() - interval '3 days', null),
             ('${id('exceeds')}', '${id('u3')}', 'enhance', 'wavespeed', 'failed', 3, now() - interval '3 days', now() - interval '3 days', null),
             ('${id('in-flight')}', '${id('u4')}', 'upscale', 'wavespeed', 'processing', 2, now() - interval '2 hours', now() - interval '2 hours', null),
             ('${id('negative')}', '${id('u4')}', 'upscale', 'wavespeed', 'failed', 2, now() - interval '3 days', now() - interval '3 days', null),
             ('${id('others')}', '${id('u4')}', 'upscale', 'wavespeed', 'failed', 2, now() - interval '3 days', now() - interval '3 days', null);
      insert into credit_transactions (id, user_id, amount, type, description, task_id, created_at) values
        (gen_random_uuid(), '${id('u1')}', 50, 'purchase', 'pack', null, now() - interval '4 days'),
        (gen_random_uuid(), '${id('u1')}', -5, 'usage', 'enhance', '${id('completed')}', now() - interval '3 days'),
        ('${id('r-completed')}', '${id('u1')}', 2, 'refund', 'goodwill: slow result', '${id('completed')}', now() - interval '2 days'),
        ('${id('r-no-task')}', '${id('u2')}', 3, 'refund', 'sorry', null, now() - interval '2 days'),
        ('${id('r-dangling')}', '${id('u2')}', 4, 'refund', null, '${id('deleted-task')}', now() - interval '2 days'),
        ('${id('r-never-charged')}', '${id('u3')}', 2, 'refund', 'refund', '${id('never-charged')}', now() - interval '2 days'),
        (gen_random_uuid(), '${id('u3')}', 20, 'purchase', 'pack', null, now() - interval '4 days'),
        (gen_random_uuid(), '${id('u3')}', -3, 'usage', 'enhance', '${id('exceeds')}', now() - interval '3 days'),
        ('${id('r-exceeds')}', '${id('u3')}', 5, 'refund', 'refund + 2 goodwill', '${id('exceeds')}', now() - interval '2 days'),
        (gen_random_uuid(), '${id('u4')}', 30, 'purchase', 'pack', null, now() - interval '4 days'),
        (gen_random_uuid(), '${id('u4')}', -2, 'usage', 'upscale', '${id('in-flight')}', now() - interval '2 hours'),
        ('${id('r-in-flight')}', '${id('u4')}', 2, 'refund', 'early refund', '${id('in-flight')}', now() - interval '1 hour'),
        (gen_random_uuid(), '${id('u4')}', -2, 'usage', 'upscale', '${id('negative')}', now() - interval '3 days'),
        ('${id('r-negative')}', '${id('u4')}', -1, 'refund', 'fix', '${id('negative')}', now() - interval '2 days'),
        (gen_random_uuid(), '${id('u4')}', -2, 'usage', 'upscale', '${id('others')}', now() - interval '3 days'),
        ('${id('r-others')}', '${id('u5')}', 2, 'refund', 'wrong user', '${id('others')}', now() - interval '2 days');
      insert into user_credits (user_id, tier, credits)
      select user_id, 'free', sum(amount) from credit_transactions
       where user_id in ('${id('u1')}', '${id('u2')}', '${id('u3')}', '${id('u4')}', '${id('u5')}') group by 1;`);
  }
  const ledgerRows = (sql: Sql) =>
    sql`select id, user_id, amount, monthly_amount, type, description, task_id, created_at, origin, legacy_type
          from credit_transactions order by id`.then((rows) => rows.map((r) => ({ ...r })));
  const typeOf = (sql: Sql, name: string) =>
    sql`select type, amount::int from credit_transactions where id = ${id(name)}`.then((r) => ({ ...r[0] }));

  it('records them so that the ledger is sound, keeps every balance, and restores them going down', async () => {
    const db = await legacyDatabase(50);
    await oddRefunds(db.sql);
    const before = await balances(db.sql);
    const all = await migrationFiles();
    await migrateUp({ databaseUrl: db.url, count: all.indexOf('0008_privileges_and_legacy_refunds') - 1 }); // the baseline is applied
    const beforeRepair = await ledgerRows(db.sql);

    await migrateUp({ databaseUrl: db.url });
    expect(await ledgerViolations(db.sql)).toEqual([]);
    expect(await balances(db.sql)).toEqual(before);
    for (const name of ['r-completed', 'r-no-task', 'r-dangling', 'r-never-charged', 'r-in-flight', 'r-negative', 'r-others']) {
      expect({ name, ...(await typeOf(db.sql, name)) }).toMatchObject({ name, type: 'adjustment' });
    }
    expect(await typeOf(db.sql, 'r-exceeds')).toEqual({ type: 'refund', amount: 3 });
    const [excess] =
      await db.sql`select amount::int, type, origin from credit_transactions where task_id = ${id('exceeds')} and type = 'adjustment'`;
    expect({ ...excess }).toEqual({ amount: 2, type: 'adjustment', origin: 'adoption' });
    // the tasks whose "refund" gave nothing back are owed their refund, and only they
    const owed =
      await db.sql`select task_id from monitoring.missing_refunds where task_id = any(${[id('negative'), id('others'), id('exceeds'), id('completed')]}) order by 1`;
    expect(owed.map((r) => r.task_id).sort()).toEqual([id('negative'), id('others')].sort());

    await migrateDown({ databaseUrl: db.url, count: all.length - all.indexOf('0008_privileges_and_legacy_refunds') }); // through 0008
    expect(await ledgerRows(db.sql)).toEqual(beforeRepair);

    await migrateUp({ databaseUrl: db.url });
    expect(await ledgerViolations(db.sql)).toEqual([]);
    // the task in flight fails at the sweep and gets its real refund; the old inherited failures are repaid
    await db.sql`select * from expire_stale_generations('30 minutes')`;
    await db.sql`select * from backfill_missing_refunds(false)`;
    expect(await ledgerViolations(db.sql)).toEqual([]);
    const [sweep] = await db.sql`select count(*)::int n from credit_transactions where task_id = ${id('in-flight')} and type = 'refund'`;
    expect(sweep!.n).toBe(1);
    const settled = await balances(db.sql);

    // all the way back and up again: nothing lost, nothing duplicated, still sound
    await migrateDown({ databaseUrl: db.url, count: all.length - 1 });
    await migrateUp({ databaseUrl: db.url });
    expect(await ledgerViolations(db.sql)).toEqual([]);
    expect(await balances(db.sql)).toEqual(settled);
  });
});
