// A provider's result and the submission that records its job id, racing on two real
// connections: whichever transaction commits first, the result is applied exactly once (the
// advisory lock on the job id makes the second see the first's commit). Without the lock, a
// result stored while the submission was uncommitted would wait forever.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { newAccount } from '../helpers/ledger.js';

let db: TestDatabase;
let other: postgres.Sql;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
  other = postgres(db.url, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await other?.end();
  await db?.drop();
});

async function pendingTask() {
  const userId = await newAccount(db.sql, 'pro');
  const { task_id } = await client.startGeneration(db.sql, { userId, taskType: 'generate', provider: 'wavespeed', model: 'm', credits: 7 });
  return { userId, taskId: task_id, job: `pred_${task_id.slice(0, 8)}` };
}
const state = async (taskId: string) => (await client.getGeneration(db.sql, { taskId })).status;
// Advisory locks of this test's database only: other test files run at the same time.
const advisoryLocks = async (granted: boolean) =>
  (
    await db.sql`select count(*)::int as n from pg_locks
                 where locktype = 'advisory' and granted = ${granted}
                   and database = (select oid from pg_database where datname = current_database())`
  )[0]!.n as number;
const waitingOnLock = () => advisoryLocks(false);
async function until(condition: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('a result racing its submission', () => {
  it('submission first (uncommitted), result second: the result waits, then finds the task and completes it', async () => {
    const { taskId, job } = await pendingTask();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const submission = db.sql.begin(async (tx) => {
      await client.markGenerationSubmitted(tx, { taskId, externalTaskId: job });
      await held; // not committed yet
    });
    await until(async () => (await advisoryLocks(true)) > 0);
    const result = client.recordProviderResult(other, {
      provider: 'wavespeed',
      externalTaskId: job,
      status: 'completed',
      providerCostUsd: '0.05',
    });
    await until(async () => (await waitingOnLock()) > 0);
    expect(await waitingOnLock()).toBe(1); // the result waits for the submission's commit
    release();
    await submission;
    expect(await result).toMatchObject({ task_id: taskId, status: 'completed', outcome: 'completed' });
    expect(await state(taskId)).toBe('completed');
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });

  it('result first (uncommitted), submission second: the submission waits, then applies the stored result (a refund)', async () => {
    const { userId, taskId, job } = await pendingTask();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const result = other.begin(async (tx) => {
      const r = await client.recordProviderResult(tx, {
        provider: 'wavespeed',
        externalTaskId: job,
        status: 'failed',
        errorMessage: 'nsfw',
      });
      await held;
      return r;
    });
    await until(async () => (await advisoryLocks(true)) > 0);
    const submission = client.markGenerationSubmitted(db.sql, { taskId, externalTaskId: job });
    await until(async () => (await waitingOnLock()) > 0);
    expect(await waitingOnLock()).toBe(1);
    release();
    expect(await result).toMatchObject({ task_id: null, outcome: 'stored' });
    expect(await submission).toMatchObject({ task_id: taskId, status: 'failed', outcome: 'submitted' });
    expect(await client.getGeneration(db.sql, { taskId })).toMatchObject({
      status: 'failed',
      failure_source: 'callback',
      error_message: 'nsfw',
    });
    expect((await client.getCreditBalance(db.sql, { userId })).total_credits).toBe(500);
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });

  it('many results and submissions at once: every task ends as its provider said, each charge refunded at most once', async () => {
    const tasks = await Promise.all(Array.from({ length: 30 }, pendingTask));
    await Promise.all(
      tasks.flatMap(({ taskId, job }, i) => {
        const status = i % 3 === 0 ? 'failed' : 'completed';
        const record = () => client.recordProviderResult(i % 2 ? db.sql : other, { provider: 'wavespeed', externalTaskId: job, status });
        return [client.markGenerationSubmitted(i % 2 ? other : db.sql, { taskId, externalTaskId: job }), record(), record()];
      }),
    );
    for (const [i, { taskId }] of tasks.entries()) expect(await state(taskId)).toBe(i % 3 === 0 ? 'failed' : 'completed');
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });

  it('claims for reconciliation running at once never hand out the same task twice', async () => {
    const tasks = await Promise.all(Array.from({ length: 40 }, pendingTask));
    for (const { taskId, job } of tasks) await client.markGenerationSubmitted(db.sql, { taskId, externalTaskId: job });
    await db.sql`update enhancement_tasks set updated_at = now() - interval '10 minutes' where id in ${db.sql(tasks.map((t) => t.taskId))}`;
    const pools = Array.from({ length: 8 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(pools.map((p) => p`select 1`));
      const claims = await Promise.all(pools.map((p) => client.claimGenerationsToReconcile(p, { provider: 'wavespeed', limit: 40 })));
      const claimed = claims.flat().map((c) => c.task_id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(40);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
