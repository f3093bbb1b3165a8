// monitoring.failures_by_provider_error: each day's failures per provider, failure source and error
// group, on the June fixture (tests/helpers/monitoring-fixture.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { juneDatabase, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

describe('monitoring.failures_by_provider_error, on the June fixture', () => {
  let db: MonitoringDatabase;
  beforeAll(async () => {
    db = await juneDatabase();
  });
  afterAll(() => db.drop());

  it("June's failures, grouped by their error", async () => {
    // Ids and long numbers fold to '#': both content-filter failures are one error; 123 stays
    expect(
      await db.all(`select provider, failure_source, error, sum(failures)::int n from monitoring.failures_by_provider_error
                       where day between '2026-06-01' and '2026-06-30' group by 1, 2, 3 order by 1, 2, 3`),
    ).toEqual([
      { provider: 'nanobanana', failure_source: 'timeout', error: 'no result after # minutes', n: 1 },
      { provider: 'wavespeed', failure_source: 'api_error', error: 'bad input 123', n: 1 },
      { provider: 'wavespeed', failure_source: 'callback', error: 'content filter job #', n: 2 },
    ]);
  });
});
