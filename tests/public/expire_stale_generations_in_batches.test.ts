// public.expire_stale_generations_in_batches, the in-database sweeper job: a procedure that
// commits between batches, so it is CALLed outside a transaction block, on real connections in
// autocommit (as pg_cron does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ledgerViolations } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
});
afterAll(() => db.drop());

/** `tasks` generations of 1 credit, 100 per account, stuck in 'pending' for two hours. */
async function backlog(tasks: number) {
  await db.sql`select ensure_credit_account(gen_random_uuid(), 'pro') from generate_series(1, ${Math.ceil(tasks / 100)})`;
  await db.sql`
    select start_generation(uc.user_id, 'enhance', 'wavespeed', 'm', 1)
      from (select user_id from user_credits where credits = 500) uc, generate_series(1, 100)
     limit ${tasks}`;
  await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where status = 'pending'`;
}

interface Drained {
  swept: string;
  batches: number;
  stopped: string;
}

async function stuck() {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int n from enhancement_tasks where status = 'pending'`;
  return row!.n;
}

describe('expire_stale_generations_in_batches', () => {
  it('drains a backlog in committed batches as the service role, then stops when a batch comes back short', async () => {
    await backlog(2500);
    const conn = await db.sql.reserve();
    try {
      await conn`set role credits_service`;
      const [first] = await conn<Drained[]>`call public.expire_stale_generations_in_batches(p_batch => 1, p_time_budget => '1 second')`;
      expect(first!.stopped).toBe('time_budget');
      const partly = Number(first!.swept);
      expect(partly).toBeGreaterThan(0);
      expect(partly).toBeLessThan(2500);
      expect(first!.batches).toBe(partly); // one task per batch, each committed
      expect(await stuck()).toBe(2500 - partly);

      const [rest] = await conn<Drained[]>`call public.expire_stale_generations_in_batches()`;
      expect(rest).toEqual({ swept: String(2500 - partly), batches: Math.ceil((2500 - partly + 1) / 1000), stopped: 'drained' });
      await conn`reset role`;
    } finally {
      conn.release();
    }
    expect(await stuck()).toBe(0);
    const [refunds] = await db.sql<{ n: number }[]>`select count(*)::int n from credit_transactions where type = 'refund'`;
    expect(refunds!.n).toBe(2500);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('returns at once, busy, while another drain holds the job', async () => {
    await backlog(10);
    const other = await db.sql.reserve();
    try {
      await other`begin`;
      await other`select pg_advisory_xact_lock(hashtext('public.drain_stale_generations'))`;
      const [busy] = await db.sql<Drained[]>`call public.expire_stale_generations_in_batches()`;
      expect(busy).toEqual({ swept: '0', batches: 0, stopped: 'busy' });
      await other`rollback`;
    } finally {
      other.release();
    }
    expect(await stuck()).toBe(10);
    const [done] = await db.sql<Drained[]>`call public.expire_stale_generations_in_batches()`;
    expect(done).toEqual({ swept: '10', batches: 1, stopped: 'drained' });
  });

  it('refuses a transaction block (2D000) and a bad budget (CR003), sweeping nothing', async () => {
    await backlog(5);
    await expect(db.sql.begin((sql) => sql`call public.expire_stale_generations_in_batches()`)).rejects.toMatchObject({ code: '2D000' });
    await expect(db.sql`call public.expire_stale_generations_in_batches(p_time_budget => '0 seconds')`).rejects.toMatchObject({
      code: 'CR003',
    });
    expect(await stuck()).toBe(5);
  });

  it('is not executable by end users', async () => {
    await expect(
      db.sql.begin(async (sql) => {
        await sql`set local role authenticated`;
        await sql`call public.expire_stale_generations_in_batches()`;
      }),
    ).rejects.toMatchObject({ code: '42501' });
  });
});
