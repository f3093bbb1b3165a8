// public.allocate_monthly_credits_in_batches, the monthly allocation job: a procedure that
// commits after each batch, so it cannot run inside a pgTAP transaction: it is CALLed here on real connections in
// autocommit, as pg_cron does. It moves every due account once, stops at p_max_duration with its
// batches kept, says what it did in a NOTICE, and a refused call allocates nothing.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ledgerViolations } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
});
afterAll(() => db.drop());

const thisMonth = () => {
  const now = new Date();
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
};

/** `count` new free accounts (10 a month), put back in last month with their 10 credits unused. */
async function dueAccounts(count: number): Promise<string[]> {
  const tag = (await db.sql<{ tag: string }[]>`select md5(random()::text) tag`)[0]!.tag;
  await db.sql`select ensure_credit_account(md5(${tag} || i)::uuid, 'free') from generate_series(1, ${count}) i`;
  const users = (await db.sql<{ id: string }[]>`select md5(${tag} || i)::uuid::text id from generate_series(1, ${count}) i`).map(
    (r) => r.id,
  );
  await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = any(${users})`;
  await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = any(${users})`;
  return users;
}

/** How many of `users` are in the current UTC month, and their allocation rows for it. */
async function moved(users: string[]) {
  const [row] = await db.sql<{ in_month: number; allocations: number }[]>`
    select count(*) filter (where period_start = date_trunc('month', now() at time zone 'UTC')::date)::int in_month,
           (select count(*)::int from credit_transactions c
             where c.user_id = any(${users}) and c.type = 'allocation'
               and c.period_start = date_trunc('month', now() at time zone 'UTC')::date) allocations
      from user_credits where user_id = any(${users})`;
  return row!;
}

/** CALLs the procedure on its own connection (autocommit), as `role`, and returns its NOTICEs. */
async function call(args = '', role = 'credits_service'): Promise<string[]> {
  const notices: string[] = [];
  const sql = postgres(db.url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
  try {
    await sql.unsafe(`set role ${role}`);
    await sql.unsafe(`call public.allocate_monthly_credits_in_batches(${args})`);
  } finally {
    await sql.end();
  }
  return notices;
}

async function allocationRows() {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int n from credit_transactions where type in ('allocation', 'expiration')`;
  return row!.n;
}

describe('allocate_monthly_credits_in_batches', () => {
  it('moves every due account once, in committed batches of 1,000, as the service role, and reports it', async () => {
    const users = await dueAccounts(1200);
    const notices = await call();
    expect(await moved(users)).toEqual({ in_month: 1200, allocations: 1200 });
    expect(notices).toEqual([`period ${thisMonth()}: 1200 accounts in 2 batches, 12000 credits allocated, 12000 expired`]);
    expect(await ledgerViolations(db.sql)).toEqual([]);

    const again = await call();
    expect(again).toEqual([`period ${thisMonth()}: 0 accounts in 0 batches, 0 credits allocated, 0 expired`]);
    expect(await moved(users)).toEqual({ in_month: 1200, allocations: 1200 });
  });

  it('takes p_period_start: the current month given explicitly is the default', async () => {
    const users = await dueAccounts(3);
    const notices = await call(`'${thisMonth()}'::date`);
    expect(notices).toEqual([`period ${thisMonth()}: 3 accounts in 1 batches, 30 credits allocated, 30 expired`]);
    expect(await moved(users)).toEqual({ in_month: 3, allocations: 3 });
  });

  it('stops at p_max_duration after a committed batch, saying so; the next run finishes', async () => {
    const users = await dueAccounts(1500);
    const notices = await call(`null, '1 microsecond'`);
    expect(await moved(users)).toEqual({ in_month: 1000, allocations: 1000 });
    expect(notices).toEqual([
      `period ${thisMonth()}: 1000 accounts in 1 batches, 10000 credits allocated, 10000 expired; stopped at p_max_duration, accounts remain: run it again`,
    ]);
    await call();
    expect(await moved(users)).toEqual({ in_month: 1500, allocations: 1500 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('refuses bad arguments (CR003) and a transaction block (2D000), allocating nothing', async () => {
    const users = await dueAccounts(5);
    const before = await allocationRows();
    const nextMonth = `'${thisMonth()}'::date + interval '1 month'`;
    const refused = [
      `'2026-11-15'::date`, // not the first of a month
      `(${nextMonth})::date`, // a month that has not begun
      `'-infinity'::date`,
      `null, '0 seconds'`, // p_max_duration not positive
      `null, '-1 minute'`,
      `null, '25 hours'`, // over a day
      `null, null`,
    ];
    for (const args of refused) {
      await expect(call(args), args).rejects.toMatchObject({ code: 'CR003' });
    }
    await expect(db.sql.begin((sql) => sql`call public.allocate_monthly_credits_in_batches()`)).rejects.toMatchObject({ code: '2D000' });
    expect(await allocationRows()).toBe(before);
    expect(await moved(users)).toEqual({ in_month: 0, allocations: 0 });
  });

  it('is not callable by end users or anon', async () => {
    const users = await dueAccounts(2);
    await expect(call('', 'authenticated')).rejects.toMatchObject({ code: '42501' });
    await expect(call('', 'anon')).rejects.toMatchObject({ code: '42501' });
    expect(await moved(users)).toEqual({ in_month: 0, allocations: 0 });
    await call();
    expect(await moved(users)).toEqual({ in_month: 2, allocations: 2 });
  });
});
