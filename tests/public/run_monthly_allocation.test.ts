// public.run_monthly_allocation: deprecated, the former name of
// allocate_monthly_credits_in_batches, kept for one release. A schedule written with it still
// allocates, as the service role, and says what it did in the same NOTICE.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { newAccount } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});
afterAll(() => db.drop());

describe('run_monthly_allocation (deprecated)', () => {
  it('still starts the month of every due account, as allocate_monthly_credits_in_batches does', async () => {
    const user = await newAccount(db.sql, 'free');
    await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${user}`;
    await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = ${user}`;
    const notices: string[] = [];
    const service = postgres(db.url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
    try {
      await service.unsafe('set role credits_service');
      await service.unsafe('call public.run_monthly_allocation()');
    } finally {
      await service.end();
    }
    const [row] = await db.sql`select period_start = date_trunc('month', now() at time zone 'UTC')::date as current
                                 from user_credits where user_id = ${user}`;
    expect(row).toEqual({ current: true });
    expect(notices).toEqual([expect.stringMatching(/^period \d{4}-\d{2}-01: 1 accounts in 1 batches, 10 credits allocated, 10 expired$/)]);
  });
});
