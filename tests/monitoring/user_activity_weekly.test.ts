// monitoring.user_activity_weekly: each week's active, new and returning users, on the June fixture
// (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.user_activity_weekly, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it('active, new and returning users of each week, and the change from the week before', async () => {
    expect(
      await db.all(`select week::text, active_users, new_users, returning_users, generations, active_users_change
                        from monitoring.user_activity_weekly where week < '2026-08-01' order by week`),
    ).toEqual([
      { week: '2026-06-01', active_users: 5, new_users: 5, returning_users: 0, generations: 60, active_users_change: null },
      { week: '2026-06-08', active_users: 1, new_users: 1, returning_users: 0, generations: 2, active_users_change: -4 },
      // A again: active, not new
      { week: '2026-06-29', active_users: 1, new_users: 0, returning_users: 1, generations: 1, active_users_change: 0 },
    ]);
  });
});
