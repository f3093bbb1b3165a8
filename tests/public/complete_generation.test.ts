// complete_generation's settlement under real concurrent connections (contract §11): a
// settlement racing a failure, the sweeper and duplicate callbacks ends in one outcome per task,
// with at most one refund, of the right amount; settlements of one account racing its charges
// lose and create no credit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, RACE_CONNECTIONS } from '../helpers/db.js';
import { balanceOf, ledgerViolations, newAccount, settle, startGeneration } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: RACE_CONNECTIONS });
  await Promise.all(Array.from({ length: RACE_CONNECTIONS }, () => db.sql`select pg_sleep(0.05)`));
});
afterAll(() => db.drop());

describe('complete_generation: settlements under concurrency', () => {
  it('a settlement racing a failure, the sweeper and duplicate callbacks: one outcome, one refund at most, the right amount', async () => {
    const user = await newAccount(db.sql, 'pro');
    const hold = 9;
    const tasks = await Promise.all(Array.from({ length: 30 }, () => startGeneration(db.sql, user, hold)));
    // every task looks stuck to the sweeper
    await db.sql`update enhancement_tasks set updated_at = now() - interval '1 hour' where user_id = ${user}`;
    const calls = tasks.flatMap(({ task_id }) => [
      db.sql`select * from complete_generation(${task_id}, null, null, 4)`,
      db.sql`select * from complete_generation(${task_id}, null, null, 4)`,
      db.sql`select * from complete_generation(${task_id}, null, null, 6)`,
      db.sql`select * from complete_generation(${task_id})`,
      db.sql`select * from fail_generation(${task_id}, 'webhook says failed')`,
      db.sql`select * from expire_stale_generations('30 minutes', 5)`,
    ]);
    const { codes } = await settle(calls);
    // the only refusal: a second, different figure for a task already settled
    expect(new Set(codes)).toEqual(new Set(codes.length ? ['CR006'] : []));

    const rows = await db.sql<{ status: string; final: number | null; refunds: number; refunded: number; origin: string | null }[]>`
      select t.status, (t.credits_used - coalesce(t.credits_settled_back, 0))::int final,
             count(c.id)::int refunds, coalesce(sum(c.amount), 0)::int refunded, min(c.origin) origin
        from enhancement_tasks t
        left join credit_transactions c on c.task_id = t.id and c.type = 'refund'
       where t.user_id = ${user}
       group by t.id`;
    expect(rows).toHaveLength(30);
    let spent = 0;
    for (const row of rows) {
      expect(row.refunds).toBeLessThanOrEqual(1);
      if (row.status === 'failed') {
        expect(row).toMatchObject({ refunds: 1, refunded: hold });
        expect(['rpc', 'sweeper']).toContain(row.origin);
      } else {
        expect(row.status).toBe('completed');
        expect([4, 6, hold]).toContain(row.final);
        expect(row.refunded).toBe(hold - row.final!);
        if (row.final! < hold) expect(row.origin).toBe('settlement');
        spent += row.final!;
      }
    }
    expect((await balanceOf(db.sql, user)).credits).toBe(500 - spent);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('settlements of one account racing its charges, grants and failures lose and create no credit', async () => {
    const user = await newAccount(db.sql, 'basic');
    await db.sql`select grant_credits(${user}, 200, 'pack', ${crypto.randomUUID()})`;
    await db.sql`select grant_promotional_credits(${user}, 30, '1 day', 'promo', ${crypto.randomUUID()})`;
    const first = await Promise.all(Array.from({ length: 20 }, () => startGeneration(db.sql, user, 10)));
    const used = (i: number) => (i * 7) % 11; // 0..10, a few whole holds
    const work: Promise<unknown>[] = first.map(({ task_id }, i) =>
      i % 5 === 4
        ? db.sql`select * from fail_generation(${task_id}, 'boom')`
        : db.sql`select * from complete_generation(${task_id}, null, null, ${used(i)})`,
    );
    for (let i = 0; i < 10; i++) work.push(startGeneration(db.sql, user, 5));
    for (let i = 0; i < 5; i++) work.push(db.sql`select grant_credits(${user}, 3, 'pack', ${crypto.randomUUID()})`);
    const { codes } = await settle(work);
    expect(codes.filter((c) => c !== 'CR001')).toEqual([]);

    const [ledger] = await db.sql<{ sum: number }[]>`select sum(amount)::int sum from credit_transactions where user_id = ${user}`;
    const expectedSpent = first.reduce((n, _t, i) => n + (i % 5 === 4 ? 0 : used(i)), 0);
    const [others] = await db.sql<{ held: number }[]>`
      select coalesce(sum(credits_used), 0)::int held from enhancement_tasks
       where user_id = ${user} and id <> all(${first.map((t) => t.task_id)}::uuid[])`;
    expect(ledger!.sum).toBe(100 + 200 + 30 + 15 - expectedSpent - others!.held);
    expect((await balanceOf(db.sql, user)).credits).toBe(ledger!.sum);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
