// start_generation's order under contention, with real connections: without a key the task is
// written before the account is locked, charges of one busy account queue for it in arrival order
// (its advisory lock), and a transaction that already holds the account never waits in that queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { balanceOf, ledgerViolations, newAccount, startGeneration } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 6 });
});
afterAll(() => db.drop());

/** Polls until `check` is true (at most 5 s): a waiting call shows in pg_locks. */
async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 250 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await check()).toBe(true);
}

type Held = Awaited<ReturnType<TestDatabase['sql']['reserve']>>;

/** Runs `work` in a transaction on a connection of its own (it commits when it means to); whatever is left is rolled back. */
async function holding(work: (tx: Held) => Promise<void>) {
  const tx = await db.sql.reserve();
  try {
    await tx`begin`;
    await work(tx);
  } finally {
    await tx`rollback`;
    tx.release();
  }
}

/** How many calls of this test's database wait for a lock of this type. */
async function waitingOn(locktype: string): Promise<number> {
  const waits = await db.sql<{ locktype: string }[]>`
    select l.locktype from pg_locks l
     where not l.granted and l.pid in (select a.pid from pg_stat_activity a where a.datname = current_database())`;
  return waits.filter((w) => w.locktype === locktype).length;
}

describe('start_generation under contention', () => {
  it("queues a charge behind one in progress on the account's advisory lock, then charges it", async () => {
    const user = await newAccount(db.sql, 'basic');
    await holding(async (holder) => {
      await holder`select task_id from start_generation(${user}, 'enhance', 'wavespeed', 'nano-banana', 5)`;
      const second = startGeneration(db.sql, user, 7);
      await until(async () => (await waitingOn('advisory')) === 1);
      expect(await waitingOn('transactionid')).toBe(0);
      // a charge on another account does not wait for this one
      const other = await newAccount(db.sql, 'basic');
      await expect(startGeneration(db.sql, other, 1)).resolves.toMatchObject({ balance: 99 });
      await holder`commit`;
      await expect(second).resolves.toMatchObject({ balance: 88, replayed: false });
    });
    expect((await balanceOf(db.sql, user)).credits).toBe(88);
  });

  it('lets a transaction that holds the account charge it while another charge waits for the row: no deadlock', async () => {
    const user = await newAccount(db.sql, 'basic');
    // as a refund or a grant would: this transaction writes the account first
    await holding(async (refunder) => {
      await refunder`update user_credits set updated_at = now() where user_id = ${user}`;
      // a charge from elsewhere takes the queue, then waits for the row
      const queued = startGeneration(db.sql, user, 7);
      await until(async () => (await waitingOn('transactionid')) === 1);
      // the holder of the row charges the same account in its transaction: it must not wait in
      // the queue whose head waits for it
      const [own] = await refunder`select balance from start_generation(${user}, 'enhance', 'wavespeed', 'nano-banana', 5)`;
      expect(Number(own!.balance)).toBe(95);
      await refunder`commit`;
      await expect(queued).resolves.toMatchObject({ balance: 88 });
    });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('replays a retry queued behind a transaction that holds the account and charges it with the same key: no deadlock', async () => {
    const user = await newAccount(db.sql, 'basic');
    await holding(async (holder) => {
      await holder`update user_credits set updated_at = now() where user_id = ${user}`;
      // the retry arrives first and waits for the account
      const retry = startGeneration(db.sql, user, 7, 'job-42');
      await until(async () => (await waitingOn('transactionid')) === 1);
      const [first] =
        await holder`select task_id, replayed from start_generation(${user}, 'enhance', 'wavespeed', 'nano-banana', 7, 'job-42')`;
      expect(first!.replayed).toBe(false);
      await holder`commit`;
      await expect(retry).resolves.toMatchObject({ task_id: first!.task_id, replayed: true, balance: 93 });
    });
    expect((await balanceOf(db.sql, user)).credits).toBe(93);
  });

  it('writes no task when the charge is refused after it: CR002 and CR001 roll the task back', async () => {
    const user = await newAccount(db.sql, 'free');
    await expect(startGeneration(db.sql, user, 11)).rejects.toMatchObject({ code: 'CR001' });
    await expect(startGeneration(db.sql, '00000000-0000-0000-0000-0000000000fe', 1)).rejects.toMatchObject({ code: 'CR002' });
    const [tasks] =
      await db.sql`select count(*)::int n from enhancement_tasks where user_id in (${user}, '00000000-0000-0000-0000-0000000000fe')`;
    expect(tasks!.n).toBe(0);
  });
});
