// monitoring.optimization_hints: the models that fail or cost more than their provider over 30 days,
// on the June fixture's recent block (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnpricedAugust, addUnpricedToday, juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.optimization_hints, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it('point at the model that fails or costs more than its provider', async () => {
    expect(await db.all(`select * from monitoring.optimization_hints`)).toEqual([]); // f2 has 10 generations, under the 20 minimum
    await db.sql`update monitoring.thresholds set value = 10 where name = 'hint_min_generations'`;
    // f2: 5 failed of 10 = 0.5 against fastgen's 6 of 24 = 0.25 (2×); $0.05 per success against 0.38 / 18 = 0.021111 (2.4×)
    expect(
      await db.all(`select provider, model, generations, failure_rate, provider_failure_rate, cost_per_success::text,
                             provider_cost_per_success::text, hint from monitoring.optimization_hints`),
    ).toEqual([
      {
        provider: 'fastgen',
        model: 'f2',
        generations: 10,
        failure_rate: 0.5,
        provider_failure_rate: 0.25,
        cost_per_success: '0.050000',
        provider_cost_per_success: '0.021111',
        hint: "fails 2.0× as often as fastgen overall; costs 2.4× fastgen's average per success",
      },
    ]);
  });

  it('compare against the average cost per success over priced completions only', async () => {
    await db.sql`update monitoring.thresholds set value = 10 where name = 'hint_min_generations'`; // as the test above left it
    // The fixture's unpriced completions: August 3's, and one more fastgen success today with no cost (then a full refresh)
    await addUnpricedAugust(db.sql);
    await addUnpricedToday(db.sql);
    // The hints compare against the same honest average: f2's $0.05 is 2.4× fastgen's 0.021111 (not 2.5× a diluted 0.02);
    // its failure rate 0.5 against fastgen's 6 of 25 = 0.24 is 2.1×
    expect(await db.one(`select provider_cost_per_success::text, hint from monitoring.optimization_hints where model = 'f2'`)).toEqual({
      provider_cost_per_success: '0.021111',
      hint: "fails 2.1× as often as fastgen overall; costs 2.4× fastgen's average per success",
    });
  });
});
