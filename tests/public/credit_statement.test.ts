// public.credit_statement: an account's month, its figures the ledger's sums (read back through
// credit_history): opening = the last month's closing, closing = the balance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { historyPages, newAccount, startGeneration } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});
afterAll(() => db.drop());

describe('credit_statement', () => {
  it('gives the ledger sums of each month: opening = last closing, closing = the balance', async () => {
    const user = await newAccount(db.sql, 'basic');
    await client.grantCredits(db.sql, { userId: user, credits: 40, reason: 'pack', idempotencyKey: 'pack-1' });
    const tasks = [];
    for (const credits of [5, 7, 11]) tasks.push((await startGeneration(db.sql, user, credits)).task_id);
    await client.failGeneration(db.sql, { taskId: tasks[1]!, errorMessage: 'oom' });
    // That was last month: the account's period and its rows move back one month; this month starts on its next write.
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${user}`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month',
                   created_at = created_at - interval '1 month' where user_id = ${user}`;
    await client.changeTier(db.sql, { userId: user, tier: 'pro', idempotencyKey: 'up' }); // expiration, allocation, upgrade
    await startGeneration(db.sql, user, 13);
    await client.grantCredits(db.sql, { userId: user, credits: 9, reason: 'goodwill', idempotencyKey: 'pack-2' });

    const thisMonth = (await db.sql`select date_trunc('month', now() at time zone 'UTC')::date::text m`)[0]!.m as string;
    const lastMonth = (await db.sql`select (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date::text m`)[0]!
      .m as string;
    const rows = await historyPages(db.sql, user, 3);
    const sums = (month: string) => {
      const inMonth = rows.filter((r) => r.created_at.slice(0, 7) === month.slice(0, 7));
      const of = (...types: string[]) => inMonth.filter((r) => types.includes(r.type)).reduce((n, r) => n + r.amount, 0);
      return {
        allocated: of('allocation', 'tier_upgrade'),
        purchased: of('purchase'),
        used: 0 - of('usage'),
        refunded: of('refund'),
        expired: 0 - of('expiration'),
        adjusted: of('adjustment'),
        transactions: inMonth.length,
      };
    };
    const last = await client.creditStatement(db.sql, { userId: user, periodStart: lastMonth });
    const now = await client.creditStatement(db.sql, { userId: user, periodStart: thisMonth });
    expect(last).toMatchObject({ opening_balance: 0, ...sums(lastMonth) });
    expect(now).toMatchObject({ opening_balance: last.closing_balance, ...sums(thisMonth) });
    expect(last.closing_balance).toBe(100 + 40 - 5 - 7 - 11 + 7);
    expect(now.closing_balance).toBe((await client.getCreditBalance(db.sql, { userId: user })).total_credits);
    for (const s of [last, now]) {
      expect(s.closing_balance).toBe(s.opening_balance + s.allocated + s.purchased - s.used + s.refunded - s.expired + s.adjusted);
    }
    expect(now).toMatchObject({ allocated: 500, expired: 100 - 5 - 11, purchased: 9, used: 13 });
  });
});
