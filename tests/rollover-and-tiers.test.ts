// Contract §13's rollover and tier edits under real concurrent connections: refunds of last
// month's charges racing the period change and the batched allocation carry exactly the cap and
// give the rest back as purchased credits; a tier's threshold changed while its accounts charge
// reaches every one of them, without a deadlock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations, newAccount, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 12 });
  await client.upsertCreditTier(db.sql, { tier: 'carry', monthlyAllowance: 100, rolloverCap: 30 });
});
afterAll(() => db.drop());

/** Moves an account one period back (contract §13, "Testing a period change"). */
async function monthBack(userId: string) {
  await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${userId}`;
  await db.sql`update credit_transactions set period_start = period_start - interval '1 month'
                where user_id = ${userId} and period_start is not null`;
}

describe('rollover and tier edits under concurrency (contract §13)', () => {
  it("last month's refunds racing the period change: the cap carried once, the refunds back as purchased", async () => {
    const users = [];
    for (let i = 0; i < 4; i++) {
      const userId = await newAccount(db.sql, 'carry'); // 100 monthly
      const tasks = [];
      for (let j = 0; j < 5; j++) tasks.push((await startGeneration(db.sql, userId, 10)).task_id); // 50 left
      await monthBack(userId);
      users.push({ userId, tasks });
    }
    await Promise.all([
      ...users.flatMap(({ tasks }) => tasks.map((taskId) => client.failGeneration(db.sql, { taskId, errorMessage: 'late' }))),
      client.allocateMonthlyCredits(db.sql),
      ...users.map(({ userId }) => startGeneration(db.sql, userId, 5)),
    ]);
    for (const { userId } of users) {
      // whoever came first started the month: 30 of the 50 unused carried, 20 expired, 100 granted;
      // the refunds of last month's charges came back as purchased; one charge of 5 this month
      const b = await client.getCreditBalance(db.sql, { userId });
      expect([b.monthly_credits, b.purchased_credits, b.total_credits]).toEqual([125, 50, 175]);
      const rows = await db.sql`select type, amount::int from credit_transactions
                                 where user_id = ${userId} and type in ('allocation', 'expiration') order by created_at, type`;
      expect(rows.slice(1)).toEqual([
        { type: 'allocation', amount: 100 },
        { type: 'expiration', amount: -20 },
      ]);
    }
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it("a tier's threshold changed while its accounts charge reaches every account at once, without a deadlock", async () => {
    await client.upsertCreditTier(db.sql, { tier: 'busy', monthlyAllowance: 100 });
    const users = await Promise.all(Array.from({ length: 8 }, () => newAccount(db.sql, 'busy')));
    await Promise.all([
      ...users.flatMap((userId) => [1, 2, 3].map(() => startGeneration(db.sql, userId, 1))),
      client.upsertCreditTier(db.sql, { tier: 'busy', monthlyAllowance: 100, lowBalanceThreshold: 90 }),
      ...users.flatMap((userId) => [1, 2, 3].map(() => startGeneration(db.sql, userId, 1))),
    ]);
    const thresholds = await db.sql`select distinct low_balance_threshold from user_credits where tier = 'busy'`;
    expect(thresholds).toEqual([{ low_balance_threshold: 90 }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
