// monitoring.platform_health: today's figures against each threshold, on an empty platform and on the
// June fixture's recent block (tests/helpers/monitoring-fixture.ts), with backfills and unpriced completions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUnpricedAugust,
  addUnpricedToday,
  B,
  emptyPlatformDatabase,
  loadJuneFixture,
  type MonitoringDatabase,
} from '../helpers/monitoring-fixture.js';

// One database: the empty platform's tests run first, then the June fixture is loaded into it.
let db: MonitoringDatabase;
beforeAll(async () => {
  db = await emptyPlatformDatabase();
});
afterAll(() => db.drop());

describe('monitoring.platform_health, on an empty platform', () => {
  it('reports no data, not an alert or a division by zero', async () => {
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(
      await db.one(`select success_rate, success_status, refund_rate, refund_status, failures, stuck_tasks, unpriced, cost_coverage,
                             cost_status, status from monitoring.platform_health`),
    ).toEqual({
      success_rate: null,
      success_status: 'no_data',
      refund_rate: null,
      refund_status: 'no_data',
      failures: 0,
      stuck_tasks: 0,
      unpriced: 0,
      cost_coverage: null,
      cost_status: 'no_data',
      status: 'ok',
    });
  });
});

describe('monitoring.platform_health, on the June fixture', () => {
  // Setup, not a test: the fixture every test below reads, loaded after the empty platform's tests.
  beforeAll(() => loadJuneFixture(db.sql));

  it('today against each threshold', async () => {
    // Today: 3 completed of 4 finished = 0.75 (alert); 1 failure (ok); ledger today: 12 charged, 3 refunded = 0.25 (alert);
    // stuck over 30 minutes: the task in processing for 2 hours and June 8's two pending tasks (alert)
    expect(
      await db.one(`select success_rate, success_status, failures, failures_status, refund_rate, refund_status,
                             stuck_tasks, stuck_status, status from monitoring.platform_health`),
    ).toEqual({
      success_rate: 0.75,
      success_status: 'alert',
      failures: 1,
      failures_status: 'ok',
      refund_rate: 0.25,
      refund_status: 'alert',
      stuck_tasks: 3,
      stuck_status: 'alert',
      status: 'alert',
    });
    await db.sql`update monitoring.thresholds set value = 0.75 where name = 'success_rate_min'`;
    expect(await db.one(`select success_status from monitoring.platform_health`)).toEqual({ success_status: 'ok' }); // 0.75 is not below 0.75
    await db.sql`update monitoring.thresholds set value = 0.95 where name = 'success_rate_min'`;
  });

  it("backfilling old failures does not move today's refund rate", async () => {
    // Refund rate = credits refunded / charged of the generations started today; refunds paid today
    // for failures of 60 days ago belong to their own day, not to today's health.
    const before = await db.one(`select refund_rate, refund_status from monitoring.platform_health`);
    expect(before).toEqual({ refund_rate: 0.25, refund_status: 'alert' });
    for (let i = 0; i < 20; i++) {
      await db.sql.unsafe(`
        with task as (
          insert into enhancement_tasks (user_id, task_type, provider, status, credits_used, origin, created_at, updated_at, completed_at)
          values ('${B}', 'upscale', 'wavespeed', 'failed', 5, 'legacy', now() - interval '60 days', now() - interval '60 days', now() - interval '60 days')
          returning id, created_at
        )
        insert into credit_transactions (user_id, amount, type, task_id, origin, created_at)
        select '${B}', -5, 'usage', id, 'legacy', created_at from task`);
    }
    expect((await db.sql`select * from backfill_missing_refunds(false)`).length).toBe(20);
    expect(await db.one(`select refund_rate, refund_status from monitoring.platform_health`)).toEqual(before);
    await db.sql`select * from monitoring.refresh_rollups()`;
    // They count where they started: 100 credits charged and refunded 60 days ago
    expect(
      await db.one(`select credits_charged::int, credits_refunded::int, refund_rate from monitoring.summary
                       where granularity = 'day' and period_start = (now() at time zone 'UTC')::date - 60`),
    ).toEqual({
      credits_charged: 100,
      credits_refunded: 100,
      refund_rate: 1,
    });
  });

  it("warns that today's spend is incomplete when a completion has no known cost", async () => {
    // The fixture's unpriced completions: August 3's, and one more fastgen success today with no cost (then a full refresh)
    await addUnpricedAugust(db.sql);
    await addUnpricedToday(db.sql);
    // Today: 4 completed, one unpriced → coverage 0.75; $0.03 known
    expect(await db.one(`select cost_usd::text, unpriced, cost_coverage, cost_status, status from monitoring.platform_health`)).toEqual({
      cost_usd: '0.030000',
      unpriced: 1,
      cost_coverage: 0.75,
      cost_status: 'incomplete',
      status: 'alert',
    });
    await db.sql`update monitoring.thresholds set value = case name when 'success_rate_min' then 0 when 'refund_rate_max' then 1
                                                                   when 'stuck_tasks_max' then 100 end
                  where name in ('success_rate_min', 'refund_rate_max', 'stuck_tasks_max')`;
    expect(await db.one(`select status from monitoring.platform_health`)).toEqual({ status: 'warn' }); // no alert left: a warning
    await db.sql`update monitoring.thresholds set value = case name when 'success_rate_min' then 0.95 when 'refund_rate_max' then 0.05
                                                                   when 'stuck_tasks_max' then 0 end
                  where name in ('success_rate_min', 'refund_rate_max', 'stuck_tasks_max')`;
  });
});
