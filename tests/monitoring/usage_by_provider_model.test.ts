// monitoring.usage_by_provider_model: each day's generations, success rate, credits and spend per
// provider, model and task type, on the June fixture (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnpricedAugust, juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.usage_by_provider_model, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it("June 1's usage per provider", async () => {
    expect(
      await db.all(`select day::text, provider, task_type, generations, success_rate, credits_charged::int
                        from monitoring.usage_by_provider_model where day = '2026-06-01' order by provider`),
    ).toEqual([
      { day: '2026-06-01', provider: 'nanobanana', task_type: 'upscale', generations: 20, success_rate: 0.95, credits_charged: 100 },
      { day: '2026-06-01', provider: 'wavespeed', task_type: 'enhance', generations: 20, success_rate: 0.9, credits_charged: 40 },
    ]);
  });

  it('counts unpriced completions, never as $0', async () => {
    await addUnpricedAugust(db.sql);
    expect(await db.one(`select unpriced, cost_usd::text from monitoring.usage_by_provider_model where day = '2026-08-03'`)).toEqual({
      unpriced: 1,
      cost_usd: '0.120000',
    });
  });
});
