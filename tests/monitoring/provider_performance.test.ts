// monitoring.provider_performance: each provider over the last 7 days (success, latency p50 and p95,
// cost per success), on the June fixture's recent block (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnpricedAugust, addUnpricedToday, juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.provider_performance, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it('over the last 7 days, with latency p50 and p95', async () => {
    // fastgen submitted-and-finished latencies (ms): 1000..10000, five of 20000, three of 0 (today)
    // → 18 values: 0,0,0,1000,…,10000,20000×5. p50 (percentile_disc, the 9th): 6000, read from the
    // histogram as its bucket's middle 1.1^91.5 = 6129.6 (+2.2 %); p95 (the 18th): 20000, read as
    // 1.1^103.5 = 19237.2 (−3.8 %). Success 18 of 24 finished = 0.75; cost 0.13 + 0.25 = 0.38 over 18.
    expect(
      await db.one(`select generations, completed, failed, success_rate, latency_p50_ms, latency_p95_ms,
                             cost_usd::text, cost_per_success::text from monitoring.provider_performance where provider = 'fastgen'`),
    ).toEqual({
      generations: 25,
      completed: 18,
      failed: 6,
      success_rate: 0.75,
      latency_p50_ms: 6129.6,
      latency_p95_ms: 19237.2,
      cost_usd: '0.380000',
      cost_per_success: '0.021111',
    });
    expect(await db.all(`select provider from monitoring.provider_performance order by 1`)).toEqual([{ provider: 'fastgen' }]);
  });

  it('counts unpriced completions, never as $0: cost per success is over priced completions only', async () => {
    // The fixture's unpriced completions: August 3's, and one more fastgen success today with no cost
    await addUnpricedAugust(db.sql);
    await addUnpricedToday(db.sql);
    // fastgen over 7 days: $0.38 over the 18 priced of 19 successes = 0.021111 (not 0.02); coverage 18/19
    expect(
      await db.one(`select completed, unpriced, cost_coverage, cost_per_success::text from monitoring.provider_performance
                       where provider = 'fastgen'`),
    ).toEqual({ completed: 19, unpriced: 1, cost_coverage: 0.9474, cost_per_success: '0.021111' });
  });
});
