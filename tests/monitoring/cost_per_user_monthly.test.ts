// monitoring.cost_per_user_monthly: each user's generations, credits and spend per month, on the June
// fixture (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, addUnpricedAugust, D, juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.cost_per_user_monthly, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it("June's figures of users A and D", async () => {
    expect(
      await db.all(`select user_id::text, generations, completed, failed, credits_charged::int, credits_refunded::int, cost_usd::text
                        from monitoring.cost_per_user_monthly where month = '2026-06-01' and user_id in ('${A}', '${D}') order by cost_usd desc`),
    ).toEqual([
      // D: 20 generations, 19 × $0.10; charged 100, refunded 5
      { user_id: D, generations: 20, completed: 19, failed: 1, credits_charged: 100, credits_refunded: 5, cost_usd: '1.900000' },
      // A: 9 on June 1 (2 credits, $0.04) and 10 on June 2 (1 credit, $0.05): 28 credits, $0.86
      { user_id: A, generations: 19, completed: 19, failed: 0, credits_charged: 28, credits_refunded: 0, cost_usd: '0.860000' },
    ]);
  });

  it('counts unpriced completions, never as $0: the average is over priced generations only', async () => {
    await addUnpricedAugust(db.sql);
    expect(
      await db.one(`select unpriced, cost_coverage, cost_per_generation::text from monitoring.cost_per_user_monthly
                       where month = '2026-08-01' and user_id = '${A}'`),
    ).toEqual({ unpriced: 1, cost_coverage: 0.75, cost_per_generation: '0.030000' });
  });
});
