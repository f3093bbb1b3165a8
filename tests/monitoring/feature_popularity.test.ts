// monitoring.feature_popularity: each task type's and model's share and rank in its month, on the
// June fixture (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.feature_popularity, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it("June's features by generations, with their share and rank", async () => {
    expect(
      await db.all(`select task_type, model, generations, share_of_month, rank_in_month from monitoring.feature_popularity
                       where month = '2026-06-01' order by rank_in_month`),
    ).toEqual([
      { task_type: 'enhance', model: 'nb', generations: 42, share_of_month: 0.6774, rank_in_month: 1 },
      { task_type: 'upscale', model: 'nx', generations: 20, share_of_month: 0.3226, rank_in_month: 2 },
    ]);
  });
});
