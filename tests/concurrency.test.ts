// Real concurrent connections against the RPC functions: every race the callbacks, the sweeper
// and retries can produce ends in one consistent state with a sound ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, RACE_CONNECTIONS } from './helpers/db.js';
import { balanceOf, ledgerViolations, newAccount, settle, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: RACE_CONNECTIONS });
  // Open every connection up front so that the calls below really run at the same time.
  await Promise.all(Array.from({ length: RACE_CONNECTIONS }, () => db.sql`select pg_sleep(0.05)`));
});
afterAll(() => db.drop());

describe('concurrency', () => {
  it('never overdraws: 50 parallel charges on 10 credits, exactly 10 succeed', async () => {
    const user = await newAccount(db.sql, 'free');
    const { ok, codes } = await settle(Array.from({ length: 50 }, () => startGeneration(db.sql, user, 1)));
    expect(ok).toHaveLength(10);
    expect(codes).toEqual(Array(40).fill('CR001'));
    expect(new Set(ok.map((r) => r.balance))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(await balanceOf(db.sql, user)).toEqual({ credits: 0, monthly_credits: 0, purchased_credits: 0 });
    const [tasks] = await db.sql`select count(*)::int n from enhancement_tasks where user_id = ${user}`;
    expect(tasks!.n).toBe(10);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('refunds once when the same failure callback arrives 30 times at once', async () => {
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 7);
    const { ok, codes } = await settle(
      Array.from({ length: 30 }, () => db.sql`select * from fail_generation(${task_id}, 'provider timeout')`.then((r) => r[0]!)),
    );
    expect(codes).toEqual([]);
    expect(ok.filter((r) => r.outcome === 'refunded')).toHaveLength(1);
    expect(ok.filter((r) => r.outcome === 'already_failed')).toHaveLength(29);
    expect((await balanceOf(db.sql, user)).credits).toBe(100);
    const [refunds] = await db.sql`select count(*)::int n from credit_transactions where task_id = ${task_id} and type = 'refund'`;
    expect(refunds!.n).toBe(1);
  });

  it('settles success-versus-failure races into one state per task', async () => {
    const user = await newAccount(db.sql, 'pro');
    const tasks = await Promise.all(Array.from({ length: 40 }, () => startGeneration(db.sql, user, 3)));
    const calls = tasks.flatMap(({ task_id }) => [
      db.sql`select * from complete_generation(${task_id}, 0.01)`,
      db.sql`select * from fail_generation(${task_id}, 'webhook says failed')`,
      db.sql`select * from complete_generation(${task_id})`,
    ]);
    const { codes } = await settle(calls);
    expect(codes).toEqual([]);
    const rows = await db.sql<{ status: string; refunds: number }[]>`
      select t.status, (select count(*)::int from credit_transactions c where c.task_id = t.id and c.type = 'refund') refunds
        from enhancement_tasks t where t.user_id = ${user}`;
    for (const row of rows) expect(row.refunds).toBe(row.status === 'failed' ? 1 : 0);
    const failed = rows.filter((r) => r.status === 'failed').length;
    expect((await balanceOf(db.sql, user)).credits).toBe(500 - 3 * (40 - failed));
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('lets four sweepers and late callbacks run at once without double refunds or deadlocks', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => newAccount(db.sql, 'pro')));
    const tasks = await Promise.all(users.flatMap((u) => Array.from({ length: 15 }, () => startGeneration(db.sql, u, 2))));
    const ids = tasks.map((t) => t.task_id);
    await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where id = any(${ids})`;
    const sweeps = Array.from({ length: 4 }, () =>
      db.sql<{ task_id: string }[]>`select task_id from expire_stale_generations('30 minutes', 1000)`.then((r) => [...r]),
    );
    const callbacks = ids.filter((_, i) => i % 3 === 0).map((id) => db.sql`select * from complete_generation(${id})`);
    const [swept, cb] = await Promise.all([settle(sweeps), settle(callbacks)]);
    expect(swept.codes).toEqual([]);
    expect(cb.codes).toEqual([]);
    const sweptIds = swept.ok.flat().map((r) => r.task_id);
    expect(new Set(sweptIds).size).toBe(sweptIds.length);
    const [state] = await db.sql`
      select count(*) filter (where status = 'failed')::int failed, count(*) filter (where status = 'completed')::int completed,
             count(*) filter (where status in ('pending', 'processing'))::int in_flight
        from enhancement_tasks where id = any(${ids})`;
    expect(state!.in_flight).toBe(0);
    expect(state!.failed).toBe(sweptIds.length);
    expect(state!.failed + state!.completed).toBe(ids.length);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('replays a start retried 20 times at once: one task, one charge', async () => {
    const user = await newAccount(db.sql, 'basic');
    const { ok, codes } = await settle(Array.from({ length: 20 }, () => startGeneration(db.sql, user, 9, 'retry-key')));
    expect(codes).toEqual([]);
    expect(new Set(ok.map((r) => r.task_id)).size).toBe(1);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(ok.map((r) => r.balance))).toEqual(new Set([91]));
    expect((await balanceOf(db.sql, user)).credits).toBe(91);
  });

  it('gives a provider job id to one task when 20 tasks claim it at once; the others get CR003', async () => {
    const user = await newAccount(db.sql, 'pro');
    const tasks = await Promise.all(Array.from({ length: 20 }, () => startGeneration(db.sql, user, 1)));
    const { ok, codes } = await settle(
      tasks.map(({ task_id }) => db.sql`select * from mark_generation_submitted(${task_id}, 'ws-job-shared')`.then((r) => r[0]!)),
    );
    expect(ok.map((r) => r.outcome)).toEqual(['submitted']);
    expect(codes).toEqual(Array(19).fill('CR003'));
    const rows =
      await db.sql`select status, count(*)::int n from enhancement_tasks where user_id = ${user} group by status order by status`;
    expect(rows.map((r) => [r.status, r.n])).toEqual([
      ['pending', 19],
      ['processing', 1],
    ]);
  });

  it('grants once when the same grant is retried 20 times at once', async () => {
    const user = await newAccount(db.sql, 'free');
    const { ok, codes } = await settle(
      Array.from({ length: 20 }, () => db.sql`select * from grant_credits(${user}, 25, 'order 42', 'order-42')`.then((r) => r[0]!)),
    );
    expect(codes).toEqual([]);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    expect((await balanceOf(db.sql, user)).credits).toBe(35);
  });

  it('runs two monthly allocations alongside charges without allocating twice', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => newAccount(db.sql, 'basic')));
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    const allocations = [1, 2].map(() => db.sql`select * from allocate_monthly_credits()`.then((r) => r[0]!));
    const charges = users.flatMap((u) => [startGeneration(db.sql, u, 30), startGeneration(db.sql, u, 30)]);
    const [alloc, charged] = await Promise.all([settle(allocations), settle(charges)]);
    expect(alloc.codes).toEqual([]);
    expect(charged.codes).toEqual([]);
    // a charge that got there first started the month itself (lazy roll-over)
    expect(alloc.ok.reduce((n, r) => n + Number(r.accounts), 0)).toBeLessThanOrEqual(20);
    const [rows] = await db.sql`
      select count(*)::int n, count(distinct user_id)::int users from credit_transactions where user_id = any(${users}) and type = 'allocation'
         and period_start = date_trunc('month', now() at time zone 'UTC')::date`;
    expect(rows).toEqual({ n: 20, users: 20 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('ends plan changes racing the monthly allocation at a period boundary the same in either order', async () => {
    // 20 accounts on basic (100 a month) in last month: half upgrade to pro (500), half downgrade to free,
    // each change sent twice with one key, while two allocations start the month.
    const users = await Promise.all(Array.from({ length: 20 }, () => newAccount(db.sql, 'basic')));
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    const target = (i: number) => (i % 2 === 0 ? 'pro' : 'free');
    const changes = users.flatMap((u, i) =>
      [1, 2].map(() => db.sql`select * from change_tier(${u}, ${target(i)}, ${`plan-${u}`})`.then((r) => r[0]!)),
    );
    const allocations = [1, 2].map(() => db.sql`select * from allocate_monthly_credits()`.then((r) => r[0]!));
    const [changed, allocated] = await Promise.all([settle(changes), settle(allocations)]);
    expect(changed.codes).toEqual([]);
    expect(allocated.codes).toEqual([]);
    expect(changed.ok.filter((r) => r.replayed)).toHaveLength(20);
    const accounts = await db.sql`
      select user_id, tier, pending_tier, credits::int, monthly_credits::int,
             (select count(*)::int from credit_transactions c where c.user_id = uc.user_id and c.type = 'allocation'
                 and c.period_start = date_trunc('month', now() at time zone 'UTC')::date) allocations,
             (select coalesce(sum(c.amount), 0)::int from credit_transactions c where c.user_id = uc.user_id and c.type = 'tier_upgrade') upgrades
        from user_credits uc where uc.user_id = any(${users})`;
    for (const [i, u] of users.entries()) {
      const a = accounts.find((r) => r.user_id === u)!;
      // the month starts on basic either way (a downgrade waits for the next one); an upgrade tops it up once
      expect(a, u).toMatchObject(
        target(i) === 'pro'
          ? { tier: 'pro', pending_tier: null, credits: 500, monthly_credits: 500, allocations: 1, upgrades: 400 }
          : { tier: 'basic', pending_tier: 'free', credits: 100, monthly_credits: 100, allocations: 1, upgrades: 0 },
      );
    }
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('drains the allocation of 3,000 accounts from two schedulers while 4 connections charge: each account starts the month once', async () => {
    const tag = (await db.sql`select md5(random()::text) tag`)[0]!.tag as string;
    await db.sql`select ensure_credit_account(md5(${tag} || i)::uuid, 'basic') from generate_series(1, 3000) i`;
    const users = (await db.sql`select md5(${tag} || i)::uuid::text id from generate_series(1, 3000) i`).map((r) => r.id as string);
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = any(${users})`;

    let allocating = true;
    const schedulers = [1, 2].map(() => db.sql.unsafe(`call allocate_monthly_credits_in_batches()`));
    const loops = [0, 1, 2, 3].map(async () => {
      while (allocating) {
        await startGeneration(db.sql, users[Math.floor(Math.random() * users.length)]!, 30).catch((e: { code?: string }) => {
          if (e.code !== 'CR001') throw e;
        });
      }
    });
    await Promise.all(schedulers);
    allocating = false;
    await Promise.all(loops);

    const [state] = await db.sql`
      select count(*) filter (where period_start = date_trunc('month', now() at time zone 'UTC')::date)::int in_month,
             (select count(*)::int from credit_transactions c where c.user_id = any(${users}) and c.type = 'allocation'
                 and c.period_start = date_trunc('month', now() at time zone 'UTC')::date) allocations,
             (select count(distinct c.user_id)::int from credit_transactions c where c.user_id = any(${users}) and c.type = 'allocation'
                 and c.period_start = date_trunc('month', now() at time zone 'UTC')::date) allocated_users
        from user_credits where user_id = any(${users})`;
    expect(state).toEqual({ in_month: 3000, allocations: 3000, allocated_users: 3000 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('stops allocate_monthly_credits_in_batches at p_max_duration after a committed batch; the next run finishes', async () => {
    const tag = (await db.sql`select md5(random()::text) tag`)[0]!.tag as string;
    await db.sql`select ensure_credit_account(md5(${tag} || i)::uuid, 'free') from generate_series(1, 1500) i`;
    const users = (await db.sql`select md5(${tag} || i)::uuid::text id from generate_series(1, 1500) i`).map((r) => r.id as string);
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = any(${users})`;
    const inMonth = async () =>
      (
        await db.sql`select count(*)::int n from user_credits where user_id = any(${users})
                                                and period_start = date_trunc('month', now() at time zone 'UTC')::date`
      )[0]!.n;
    await db.sql.unsafe(`call allocate_monthly_credits_in_batches(null, '1 microsecond')`);
    expect(await inMonth()).toBe(1000);
    await db.sql.unsafe(`call allocate_monthly_credits_in_batches()`);
    expect(await inMonth()).toBe(1500);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('records two late successes of one failed task once, without a deadlock, when one already holds the task', async () => {
    // A duplicate callback whose UPDATE waited for the failure holds the task's row (READ
    // COMMITTED locks the row it re-checks); `holder` stands for it, the other callback arrives
    // after the failure with no lock. Before the fix the other took the late result's key, then
    // waited for the row, while the holder waited for the key: 40P01.
    const user = await newAccount(db.sql, 'pro');
    const { task_id } = await startGeneration(db.sql, user, 3);
    await db.sql`select * from fail_generation(${task_id}, 'failed first')`;
    const holder = await db.sql.reserve();
    try {
      await holder`begin`;
      await holder`select 1 from enhancement_tasks where id = ${task_id} for no key update`;
      const other = db.sql`select * from complete_generation(${task_id}, 0.02)`.then((r) => r[0]!);
      await new Promise((resolve) => setTimeout(resolve, 300)); // it reaches its wait
      const [mine] = await holder`select * from complete_generation(${task_id}, 0.01)`;
      await holder`commit`;
      const theirs = await other;
      expect([mine!.outcome, theirs.outcome]).toEqual(['ignored_already_failed', 'ignored_already_failed']);
    } finally {
      holder.release();
    }
    const [late] = await db.sql`select provider_cost_usd::float8 usd from credits_private.late_results where task_id = ${task_id}`;
    expect(late!.usd).toBe(0.01); // the first to record it
    const [task] = await db.sql`select status, provider_cost_usd::float8 usd from enhancement_tasks where id = ${task_id}`;
    expect(task).toEqual({ status: 'failed', usd: 0.01 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
