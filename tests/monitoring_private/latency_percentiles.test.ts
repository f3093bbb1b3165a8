// monitoring_private.latency_percentiles: p50 and p95 read from the mergeable histogram (as
// monitoring.provider_performance shows them) are within 5 % of the exact percentile_disc, per provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});
afterAll(() => db.drop());

describe('latency percentiles from the histogram', () => {
  it('are within 5 % of the exact ones, per provider, over rollup days and today', async () => {
    const user = crypto.randomUUID();
    await db.sql`insert into user_credits (user_id, credits, purchased_credits) values (${user}, 0, 0)`;
    // 3,000 finished tasks over the last 5 days: a log-normal-ish spread from 50 ms to ~10 minutes, two providers.
    await db.sql`
      insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, created_at, submitted_at, completed_at, updated_at)
      select ${user}, 'enhance', case when i % 3 = 0 then 'slowgen' else 'fastgen' end, 'm', 'completed', 0, at, at,
             at + make_interval(secs => exp(ln(0.05) + random() * ln(12000)) * case when i % 3 = 0 then 3 else 1 end), at
        from (select i, now() - make_interval(secs => random() * 5 * 86400) as at from generate_series(1, 3000) i) x`;
    await db.sql`select * from monitoring.refresh_rollups()`;
    const exact = await db.sql`
      select provider,
             percentile_disc(0.5) within group (order by extract(epoch from completed_at - submitted_at) * 1000)::float8 as p50,
             percentile_disc(0.95) within group (order by extract(epoch from completed_at - submitted_at) * 1000)::float8 as p95
        from enhancement_tasks where created_at >= now() - interval '7 days' group by provider order by provider`;
    const read =
      await db.sql`select provider, latency_p50_ms as p50, latency_p95_ms as p95 from monitoring.provider_performance order by provider`;
    expect(read.map((r) => r.provider)).toEqual(['fastgen', 'slowgen']);
    for (const [i, r] of read.entries()) {
      for (const p of ['p50', 'p95'] as const) {
        const relative = Math.abs(Number(r[p]) - Number(exact[i]![p])) / Number(exact[i]![p]);
        expect(relative, `${r.provider} ${p}: ${r[p]} against ${exact[i]![p]}`).toBeLessThanOrEqual(0.05);
      }
    }
  });
});
