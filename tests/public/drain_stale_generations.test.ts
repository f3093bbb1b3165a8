// public.drain_stale_generations: deprecated, the former name of
// expire_stale_generations_in_batches, kept for one release. A schedule written with it still
// sweeps, with the same results, and a run under either name finds the other's lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 3 });
});
afterAll(() => db.drop());

describe('drain_stale_generations (deprecated)', () => {
  it('still sweeps as expire_stale_generations_in_batches does, and shares its lock', async () => {
    await db.sql`select ensure_credit_account(gen_random_uuid(), 'pro')`;
    await db.sql`select start_generation(user_id, 'enhance', 'wavespeed', 'm', 1) from user_credits, generate_series(1, 5)`;
    await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours'`;

    const other = await db.sql.reserve();
    try {
      await other`begin`;
      await other`select pg_advisory_xact_lock(hashtext('public.drain_stale_generations'))`;
      expect(await db.sql`call public.drain_stale_generations()`).toEqual([{ swept: '0', batches: 0, stopped: 'busy' }]);
      await other`rollback`;
    } finally {
      other.release();
    }
    const service = await db.sql.reserve();
    try {
      await service`set role credits_service`;
      expect(await service`call public.drain_stale_generations()`).toEqual([{ swept: '5', batches: 1, stopped: 'drained' }]);
      await service`reset role`;
    } finally {
      service.release();
    }
  });
});
