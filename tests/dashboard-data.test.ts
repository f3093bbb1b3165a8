// What the dashboard page reads: admin_credit_stats as of the last refresh (whole UTC days from
// the rollups only) and its top users over the exact range, whether they come from the windows of
// monitoring.user_rollup_window (leaders plus the users around them) or from summing every day.
// Each ranking is checked against a brute-force ranking of the raw tasks, on data with ties.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

let db: TestDatabase;
const DAY = 86_400_000;
const midnight = (daysAgo: number) =>
  new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - daysAgo * DAY);

/** 40 users over the last 40 days; small whole numbers so that many users tie. */
async function seed(sql: TestDatabase['sql']) {
  await sql`
    insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, provider_cost_usd, created_at, submitted_at, updated_at, completed_at)
    select ('00000000-0000-0000-0000-' || lpad(((i * 7) % 40)::text, 12, '0'))::uuid, 'enhance', 'wavespeed', 'm' || (i % 3),
           status, 1 + (i % 4), case status when 'processing' then null when 'failed' then 0 else 0.01 * (1 + i % 5) end,
           at, at, at + make_interval(secs => 1 + i % 20), case when status <> 'processing' then at + make_interval(secs => 1 + i % 20) end
      from (select i, now() - make_interval(secs => (i * 4099) % (40 * 86400)) as at,
                   case when i % 11 = 0 then 'failed' when i % 17 = 0 then 'processing' else 'completed' end as status
              from generate_series(1, 1500) i) x`;
}

/** The brute-force ranking of the raw tasks started in [from, to). */
async function bruteForce(from: Date, to: Date) {
  const rows = await db.sql<{ ranking: string; user_id: string; generations: number; credits_charged: number; cost: string }[]>`
    with t as (
      select user_id, count(*)::int generations, sum(credits_used)::int credits_charged, coalesce(sum(provider_cost_usd), 0) cost_usd
        from enhancement_tasks where created_at >= ${from} and created_at < ${to} group by 1
    )
    (select 'credits' ranking, t.user_id::text, t.generations, t.credits_charged, t.cost_usd::text as cost from t order by t.credits_charged desc, t.user_id limit 10)
    union all (select 'cost', t.user_id::text, t.generations, t.credits_charged, t.cost_usd::text from t order by t.cost_usd desc, t.user_id limit 10)
    union all (select 'generations', t.user_id::text, t.generations, t.credits_charged, t.cost_usd::text from t order by t.generations desc, t.user_id limit 10)`;
  return rows.map(({ cost, ...r }) => ({ ...r, cost_usd: Number(cost).toFixed(6) }));
}

async function ranked(from: Date, to: Date, asOfRefresh: boolean) {
  const [{ s }] = (await db.sql`select admin_credit_stats(${from}, ${to}, ${asOfRefresh}) s`) as unknown as [{ s: any }];
  const pick = (ranking: string, list: any[]) =>
    list.map((u) => ({
      ranking,
      user_id: u.user_id,
      generations: u.generations,
      credits_charged: u.credits_charged,
      cost_usd: u.provider_cost_usd,
    }));
  return [...pick('credits', s.top_users), ...pick('cost', s.top_users_by_cost), ...pick('generations', s.top_users_by_generations)];
}

/** The windows' last days. */
async function windowEnds() {
  return db.sql<{ days: number; through: string }[]>`select days, through::text from monitoring.user_rollup_window_end order by days`;
}

/** Window rows that differ from a recomputation from the per-user days (both ways). */
async function windowMismatches(): Promise<number> {
  const [{ n }] = (await db.sql`
    with expected as (
      select e.days, d.user_id, sum(d.generations)::int g, sum(d.credits_charged)::bigint c, sum(d.cost_usd) usd
        from monitoring.user_rollup_window_end e
        join monitoring.user_rollup_daily d on d.day > e.through - e.days and d.day <= e.through
       group by 1, 2
    )
    select count(*)::int n
      from expected x full join monitoring.user_rollup_window w using (days, user_id)
     where x.g is distinct from w.generations or x.c is distinct from w.credits_charged or x.usd is distinct from w.cost_usd`) as unknown as [
    { n: number },
  ];
  return n;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.sql);
  await db.sql`select * from monitoring.refresh_rollups()`;
});
afterAll(() => db.drop());

describe('the dashboard data', () => {
  it('keeps windows of 1, 7 and 30 days through today and 6 and 29 through yesterday', async () => {
    const today = midnight(0).toISOString().slice(0, 10);
    const yesterday = midnight(1).toISOString().slice(0, 10);
    expect((await windowEnds()).map((w) => [w.days, w.through])).toEqual([
      [1, today],
      [6, yesterday],
      [7, today],
      [29, yesterday],
      [30, today],
    ]);
    expect(await windowMismatches()).toBe(0);
  });

  it('ranks the top users of every period exactly, from a window or from every day', async () => {
    const periods: [string, Date, Date, boolean][] = [
      ['today', midnight(0), midnight(-1), true],
      ['7 days', midnight(6), midnight(-1), true],
      ['30 days', midnight(29), midnight(-1), true],
      ['a custom 12 days', midnight(20), midnight(8), true],
      ['the last 30 days to now', new Date(Date.now() - 30 * DAY), new Date(), false],
      ['the last 7 days to now', new Date(Date.now() - 7 * DAY), new Date(), false],
      ['a range of partial days', new Date(Date.now() - 9.5 * DAY), new Date(Date.now() - 2.25 * DAY), false],
    ];
    for (const [name, from, to, asOf] of periods) {
      expect(await ranked(from, to, asOf), name).toEqual(await bruteForce(from, to));
    }
  });

  it('follows changes after the next refresh: new tasks today, a late cost on an old one', async () => {
    const user = '00000000-0000-0000-0000-000000000003';
    await db.sql`
      insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, provider_cost_usd, created_at, updated_at, completed_at)
      select ${user}, 'enhance', 'wavespeed', 'm0', 'completed', 9, 0.5, now() - interval '1 minute', now(), now() from generate_series(1, 20)`;
    const before = await ranked(midnight(29), midnight(-1), true);
    expect(before.find((u) => u.ranking === 'credits')!.user_id, 'not before the refresh').not.toBe(user);
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(await ranked(midnight(29), midnight(-1), true)).toEqual(await bruteForce(midnight(29), midnight(-1)));
    expect((await ranked(midnight(29), midnight(-1), true))[0]!.user_id).toBe(user);
    // An older day changes (a late cost): the windows through yesterday follow too.
    await db.sql`update enhancement_tasks set provider_cost_usd = 7, completed_at = now(), updated_at = now()
                  where id = (select id from enhancement_tasks where created_at < now() - interval '3 days' and status = 'completed' order by created_at desc limit 1)`;
    await db.sql`select * from monitoring.refresh_rollups()`;
    const last30 = [new Date(Date.now() - 30 * DAY), new Date()] as const;
    expect(await ranked(...last30, false)).toEqual(await bruteForce(...last30));
  });

  it('moves the windows when the day changes, recomputing only the users of the days that move', async () => {
    for (const daysBack of [1, 3, 10]) {
      // the windows as a refresh left them that many days ago, then today's refresh
      await db.sql`select monitoring_private.rebuild_user_windows(current_date - ${daysBack}::int, null, true)`;
      expect((await windowEnds()).find((w) => w.days === 30)!.through).toBe(midnight(daysBack).toISOString().slice(0, 10));
      await db.sql`select * from monitoring.refresh_rollups()`;
      expect(
        (await windowEnds()).map((w) => w.through),
        `${daysBack} days`,
      ).toEqual([0, 1, 0, 1, 0].map((d) => midnight(d).toISOString().slice(0, 10)));
      expect(await windowMismatches(), `${daysBack} days`).toBe(0);
    }
    expect(await ranked(midnight(6), midnight(-1), true)).toEqual(await bruteForce(midnight(6), midnight(-1)));
  });

  it('as of the last refresh: the rollups only, equal to the live document until something changes', async () => {
    await db.sql`select * from monitoring.refresh_rollups()`;
    const [{ live, asOf }] = (await db.sql`
      select admin_credit_stats(${midnight(29)}, ${midnight(-1)}) live, admin_credit_stats(${midnight(29)}, ${midnight(-1)}, true) "asOf"`) as unknown as [
      { live: any; asOf: any },
    ];
    const comparable = (d: any) => ({ ...d, period: { ...d.period, as_of_refresh: null } });
    expect(comparable(asOf)).toEqual(comparable(live));
    expect(asOf.period.as_of_refresh).toBe(true);
    expect(asOf.daily).toHaveLength(30);
    // A generation after the refresh: live sees it at once, the page's read at the next refresh.
    await db.sql`insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, created_at, updated_at)
                 values ('00000000-0000-0000-0000-000000000001', 'enhance', 'wavespeed', 'm0', 'pending', 1, now(), now())`;
    const [{ a, b }] = (await db.sql`
      select admin_credit_stats(${midnight(0)}, ${midnight(-1)}) a, admin_credit_stats(${midnight(0)}, ${midnight(-1)}, true) b`) as unknown as [
      { a: any; b: any },
    ];
    expect(a.totals.generations).toBe(b.totals.generations + 1);
    expect(a.health.failures).toBe(b.health.failures);
    await db.sql`select * from monitoring.refresh_rollups()`;
    const [{ c }] = (await db.sql`select admin_credit_stats(${midnight(0)}, ${midnight(-1)}, true) c`) as unknown as [{ c: any }];
    expect(c.totals.generations).toBe(a.totals.generations);
  });

  it('carries latency per provider and model within 5 % of the exact percentiles', async () => {
    const [{ s }] = (await db.sql`select admin_credit_stats(${midnight(29)}, ${midnight(-1)}, true) s`) as unknown as [{ s: any }];
    const exact = await db.sql<{ model: string; p50: number }[]>`
      select model, percentile_disc(0.5) within group (order by extract(epoch from completed_at - submitted_at) * 1000)::float8 p50
        from enhancement_tasks where created_at >= ${midnight(29)} and completed_at is not null group by 1`;
    for (const m of s.providers[0].models) {
      const want = exact.find((e) => e.model === m.model)!.p50;
      expect(Math.abs(m.latency_p50_ms - want) / want, m.model).toBeLessThanOrEqual(0.05);
    }
    expect(s.providers[0].latency_p50_ms).toBeGreaterThan(0);
  });

  it('platform_health reads today as of the refresh, and alerts when the refresh stopped', async () => {
    const health = async () => (await db.sql`select status, rollups_status, success_status from monitoring.platform_health`)[0];
    await db.sql`select * from monitoring.refresh_rollups()`;
    const fresh = await health();
    expect(fresh!.rollups_status).toBe('ok');
    await db.sql`update monitoring.rollup_state set refreshed_at = now() - interval '11 minutes'`;
    expect(await health()).toMatchObject({ status: 'alert', rollups_status: 'stale', success_status: fresh!.success_status });
    // the live row has its figures from the raw rows: an old refresh does not make it wrong
    const [live] = await db.sql`select status, rollups_status from monitoring.todays_health(false)`;
    expect(live).toEqual({ status: fresh!.status, rollups_status: 'stale' });
    await db.sql`delete from monitoring.rollup_state`;
    expect(await health()).toMatchObject({ status: 'alert', rollups_status: 'never' });
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(await health()).toEqual(fresh);
  });

  it('refuses a range that is not whole UTC days as of the refresh, and changes nothing', async () => {
    const error = await db.sql`select admin_credit_stats(now() - interval '1 day', now(), true)`.catch((e) => e);
    expect(error.code).toBe('CR003');
    expect(error.message).toContain('UTC midnights');
  });
});
