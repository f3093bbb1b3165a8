// public.expire_promotional_credits_in_batches, the promotional expiry drained in the database: a
// procedure that commits after each batch, so it is CALLed here on real connections in
// autocommit, as pg_cron does. It closes every due lot once, batch after batch, reports what it
// did, shares the work with a second run, and a refused call expires nothing.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ledgerViolations } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
});
afterAll(() => db.drop());

/** `count` accounts holding one lot of 5 promotional credits whose date has passed. */
async function dueLots(count: number): Promise<void> {
  const tag = (await db.sql<{ tag: string }[]>`select md5(random()::text) tag`)[0]!.tag;
  await db.sql`select ensure_credit_account(md5(${tag} || i)::uuid, 'free') from generate_series(1, ${count}) i`;
  await db.sql`select grant_promotional_credits(md5(${tag} || i)::uuid, 5, '1 day', 'launch', 'launch-' || i)
                 from generate_series(1, ${count}) i`;
  await db.sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second' where expired_at is null`;
}

interface Drained {
  lots: string;
  credits_expired: string;
  batches: number;
  stopped: string;
}

/** CALLs the procedure on its own connection (autocommit), as `role`. */
async function call(args = '', role = 'credits_service'): Promise<Drained> {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`set role ${role}`);
    const [row] = await sql.unsafe(`call public.expire_promotional_credits_in_batches(${args})`);
    return row as unknown as Drained;
  } finally {
    await sql.end();
  }
}

const liveLots = async () =>
  (await db.sql<{ n: number }[]>`select count(*)::int n from credits_private.promotional_lots where expired_at is null`)[0]!.n;

describe('expire_promotional_credits_in_batches', () => {
  it('closes every due lot once, in committed batches, as the service role, and reports it', async () => {
    await dueLots(1500);
    expect(await call()).toEqual({ lots: '1500', credits_expired: '7500', batches: 3, stopped: 'drained' });
    expect(await liveLots()).toBe(0);
    expect(await call()).toEqual({ lots: '0', credits_expired: '0', batches: 1, stopped: 'drained' });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('shares the work with a second run at once: each lot expired once', async () => {
    await dueLots(1200);
    const runs = await Promise.all([call('p_limit => 100'), call('p_limit => 100')]);
    expect(runs.reduce((n, r) => n + Number(r.lots), 0)).toBe(1200);
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int n from credit_transactions where type = 'expiration' and promotional_amount <> 0`;
    expect(row!.n).toBe(1500 + 1200);
  });

  it('refuses a bad time budget or limit (CR003) and a transaction block (2D000), expiring nothing', async () => {
    await dueLots(3);
    for (const args of ["p_time_budget => '0 seconds'", "p_time_budget => '2 hours'", 'p_time_budget => null', 'p_limit => 0']) {
      await expect(call(args), args).rejects.toMatchObject({ code: 'CR003' });
    }
    await expect(db.sql.begin((tx) => tx.unsafe('call public.expire_promotional_credits_in_batches()'))).rejects.toMatchObject({
      code: '2D000',
    });
    expect(await liveLots()).toBe(3);
  });

  it('is not callable by end users or anon', async () => {
    for (const role of ['authenticated', 'anon']) await expect(call('', role)).rejects.toMatchObject({ code: '42501' });
  });
});
