// monitoring.provider_costs: each provider's and model's generations, spend, cost per success and
// share of the period's spend, on the June fixture (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnpricedAugust, juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.provider_costs, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it("June's spend per provider and model, and its share of the month", async () => {
    expect(
      await db.all(`select provider, model, generations, completed, failed, cost_usd::text, cost_per_success::text, share_of_cost
                        from monitoring.provider_costs where granularity = 'month' and period_start = '2026-06-01' order by provider`),
    ).toEqual([
      // nanobanana: $1.90 over 19 successes = 0.10, 1.90/3.57 = 0.5322 of June's spend
      {
        provider: 'nanobanana',
        model: 'nx',
        generations: 20,
        completed: 19,
        failed: 1,
        cost_usd: '1.900000',
        cost_per_success: '0.100000',
        share_of_cost: 0.5322,
      },
      // wavespeed: 0.72 + 0.95 = $1.67 over 37 successes = 0.045135, 0.4678 of the spend
      {
        provider: 'wavespeed',
        model: 'nb',
        generations: 42,
        completed: 37,
        failed: 3,
        cost_usd: '1.670000',
        cost_per_success: '0.045135',
        share_of_cost: 0.4678,
      },
    ]);
  });

  it('counts unpriced completions, never as $0: the averages are over priced completions only', async () => {
    await addUnpricedAugust(db.sql);
    expect(
      await db.one(`select unpriced, cost_coverage, cost_per_generation::text, cost_per_success::text
                        from monitoring.provider_costs where granularity = 'month' and period_start = '2026-08-01'`),
    ).toEqual({
      unpriced: 1,
      cost_coverage: 0.75,
      cost_per_generation: '0.030000',
      cost_per_success: '0.040000',
    });
  });
});
