// monitoring.summary: each day's, week's and month's figures and their thresholds' flags, on the
// June fixture (tests/helpers/monitoring-fixture.ts, figures computed by hand) and on an empty platform.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnpricedAugust, emptyPlatformDatabase, loadJuneFixture, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

// One database: the empty platform's tests run first, then the June fixture is loaded into it.
let db: MonitoringDatabase;
beforeAll(async () => {
  db = await emptyPlatformDatabase();
});
afterAll(() => db.drop());

describe('monitoring.summary, on an empty platform', () => {
  it('has no rows, not a division by zero', async () => {
    await db.sql`select * from monitoring.refresh_rollups()`;
    expect(await db.all(`select * from monitoring.summary`)).toEqual([]);
  });
});

describe('monitoring.summary, on the June fixture', () => {
  // Setup, not a test: the fixture every test below reads, loaded after the empty platform's tests.
  beforeAll(() => loadJuneFixture(db.sql));

  it('daily, weekly and monthly figures with their flags', async () => {
    const rows = await db.all(`select granularity, period_start::text, generations, completed, failed, in_flight, success_rate,
                                   success_below_threshold, credits_charged::int, credits_refunded::int, refund_rate,
                                   refund_above_threshold, cost_usd::text, cost_per_generation::text
                              from monitoring.summary where period_start < '2026-08-01' order by granularity, period_start`);
    expect(rows).toEqual([
      // June 1: 40 generations, 37 completed → 0.925 < 0.95; charged 36+4+95+5 = 140, refunded 2+2+5 = 9 → 0.0643 > 0.05;
      // cost 18×0.04 + 19×0.10 = 2.62, per generation 0.0655
      {
        granularity: 'day',
        period_start: '2026-06-01',
        generations: 40,
        completed: 37,
        failed: 3,
        in_flight: 0,
        success_rate: 0.925,
        success_below_threshold: true,
        credits_charged: 140,
        credits_refunded: 9,
        refund_rate: 0.0643,
        refund_above_threshold: true,
        cost_usd: '2.620000',
        cost_per_generation: '0.065500',
      },
      // June 2: exactly at both thresholds: 19/20 = 0.95 is not below, 1/20 = 0.05 is not above
      {
        granularity: 'day',
        period_start: '2026-06-02',
        generations: 20,
        completed: 19,
        failed: 1,
        in_flight: 0,
        success_rate: 0.95,
        success_below_threshold: false,
        credits_charged: 20,
        credits_refunded: 1,
        refund_rate: 0.05,
        refund_above_threshold: false,
        cost_usd: '0.950000',
        cost_per_generation: '0.047500',
      },
      // June 8: nothing finished: no success rate, no flag; nothing refunded; no cost known yet, so no average
      {
        granularity: 'day',
        period_start: '2026-06-08',
        generations: 2,
        completed: 0,
        failed: 0,
        in_flight: 2,
        success_rate: null,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.000000',
        cost_per_generation: null,
      },
      {
        granularity: 'day',
        period_start: '2026-07-01',
        generations: 1,
        completed: 1,
        failed: 0,
        in_flight: 0,
        success_rate: 1,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.040000',
        cost_per_generation: '0.040000',
      },
      // June: 62 generations, 56 of 60 finished succeeded = 0.9333; 10 of 162 credits refunded = 0.0617;
      // $3.57 over the 60 generations whose cost is known (the 2 in flight are not) = 0.0595
      {
        granularity: 'month',
        period_start: '2026-06-01',
        generations: 62,
        completed: 56,
        failed: 4,
        in_flight: 2,
        success_rate: 0.9333,
        success_below_threshold: true,
        credits_charged: 162,
        credits_refunded: 10,
        refund_rate: 0.0617,
        refund_above_threshold: true,
        cost_usd: '3.570000',
        cost_per_generation: '0.059500',
      },
      {
        granularity: 'month',
        period_start: '2026-07-01',
        generations: 1,
        completed: 1,
        failed: 0,
        in_flight: 0,
        success_rate: 1,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.040000',
        cost_per_generation: '0.040000',
      },
      // week of Monday June 1: 60 generations, 56 completed = 0.9333; 10/160 = 0.0625; $3.57 / 60 = 0.0595
      {
        granularity: 'week',
        period_start: '2026-06-01',
        generations: 60,
        completed: 56,
        failed: 4,
        in_flight: 0,
        success_rate: 0.9333,
        success_below_threshold: true,
        credits_charged: 160,
        credits_refunded: 10,
        refund_rate: 0.0625,
        refund_above_threshold: true,
        cost_usd: '3.570000',
        cost_per_generation: '0.059500',
      },
      {
        granularity: 'week',
        period_start: '2026-06-08',
        generations: 2,
        completed: 0,
        failed: 0,
        in_flight: 2,
        success_rate: null,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.000000',
        cost_per_generation: null,
      },
      // July 1 2026 is a Wednesday: its week starts on Monday June 29
      {
        granularity: 'week',
        period_start: '2026-06-29',
        generations: 1,
        completed: 1,
        failed: 0,
        in_flight: 0,
        success_rate: 1,
        success_below_threshold: false,
        credits_charged: 2,
        credits_refunded: 0,
        refund_rate: 0,
        refund_above_threshold: false,
        cost_usd: '0.040000',
        cost_per_generation: '0.040000',
      },
    ]);
  });

  it('counts unpriced completions, never as $0: the average is over priced generations only', async () => {
    await addUnpricedAugust(db.sql);
    // $0.12 known for 4 of 5 generations: 0.03 per generation (not 0.024); per success 0.12 / 3 = 0.04 (not 0.03)
    expect(
      await db.one(`select generations, unpriced, cost_coverage, cost_usd::text, cost_per_generation::text
                        from monitoring.summary where granularity = 'day' and period_start = '2026-08-03'`),
    ).toEqual({
      generations: 5,
      unpriced: 1,
      cost_coverage: 0.75,
      cost_usd: '0.120000',
      cost_per_generation: '0.030000',
    });
  });
});
