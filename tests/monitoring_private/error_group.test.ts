// monitoring_private.error_group: the group a failure's message is counted under, as the failures'
// rollup source reads it: ids, times and long numbers fold, status codes and short numbers stay.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});
afterAll(() => db.drop());

describe('error groups: ids, times and long numbers fold, status codes and short numbers stay', () => {
  it('groups failures by their message with what tells them apart kept', async () => {
    const user = randomUUID();
    await db.sql`select created from ensure_credit_account(${user}, 'pro')`;
    const messages = [
      'WaveSpeed answered 502 to POST /api/v3/google/nano-banana/edit',
      'WaveSpeed answered 429 to POST /api/v3/google/nano-banana/edit',
      'timeout after 31s (job 8f3a9c21)',
      'timeout after 45s (job 77c1d2e4)',
      'task 6b1f1a52-6c1e-4b8e-9d55-0e6c2a1f3b77 failed at 2026-12-07T03:54:28.123Z',
      'task 0c9d8e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5 failed at 2026-12-08T11:02:59Z',
      'image too large: 12582912 bytes (max 10 MB)',
      'HTTP 400: width must be <= 4096, got 5000',
    ];
    for (const message of messages) {
      const [task] = await db.sql`select task_id from start_generation(${user}, 'enhance', 'error-groups', 'm', 1)`;
      await db.sql`select outcome from fail_generation(${task!.task_id}, ${message}, 'api_error')`;
    }
    const groups = await db.sql`
      select error, sum(failures)::int n from monitoring_private.failure_rollup_source(now() - interval '1 hour', now() + interval '1 hour')
       where provider = 'error-groups' group by 1 order by 1`;
    expect(groups).toEqual([
      { error: 'HTTP 400: width must be <= #, got #', n: 1 },
      { error: 'WaveSpeed answered 429 to POST /api/v3/google/nano-banana/edit', n: 1 },
      { error: 'WaveSpeed answered 502 to POST /api/v3/google/nano-banana/edit', n: 1 },
      { error: 'image too large: # bytes (max # MB)', n: 1 },
      { error: 'task # failed at #', n: 2 },
      { error: 'timeout after #s (job #)', n: 2 },
    ]);
  });
});
