// The typed client works whatever options the caller's `sql` was made with (a common one:
// `transform: postgres.camel`, which renames result columns and the keys inside json values),
// and an argument object with a key the function does not take, or without a required one, is a
// TypeError naming the key — never a silently dropped argument.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import * as client from '../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

let db: TestDatabase;
let camel: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  camel = postgres(db.url, { max: 2, onnotice: () => {}, transform: postgres.camel });
});
afterAll(async () => {
  await camel?.end();
  await db?.drop();
});

describe('the typed client on an sql with transform: postgres.camel', () => {
  it('returns the names and values its types promise, through a whole lifecycle', async () => {
    const userId = crypto.randomUUID();
    await client.ensureCreditAccount(camel, { userId, tier: 'basic' });
    const started = await client.startGeneration(camel, {
      userId,
      taskType: 'enhance',
      provider: 'wavespeed',
      model: 'nano-banana',
      credits: 5,
    });
    expect(Object.keys(started).sort()).toEqual(['balance', 'replayed', 'task_id']);
    expect(started).toMatchObject({ balance: 95, replayed: false });
    await client.markGenerationSubmitted(camel, { taskId: started.task_id!, externalTaskId: `job-${userId}` });
    const failed = await client.failGeneration(camel, { taskId: started.task_id!, errorMessage: 'provider error', source: 'api_error' });
    expect(failed).toMatchObject({ task_id: started.task_id, status: 'failed', refunded_credits: 5, outcome: 'refunded' });
    const balance = await client.getCreditBalance(camel, { userId });
    expect(balance).toMatchObject({ total_credits: 100, monthly_credits: 100, tier: 'basic' });
    expect(typeof balance.period_start).toBe('string');
    expect(await client.verifyLedger(camel)).toEqual([]);
    // inside a transaction of that sql too (a TransactionSql does not expose its options)
    const inTx = await camel.begin((tx) => client.getCreditBalance(tx, { userId }));
    expect(inTx).toMatchObject({ total_credits: 100, tier: 'basic' });
  });

  it('reads views and the admin document with their own names (no camelCase inside the json)', async () => {
    await client.monitoringRefreshRollups(camel);
    const [health] = await client.readMonitoringPlatformHealth(camel);
    expect(health).toHaveProperty('success_rate');
    expect(health).not.toHaveProperty('successRate');
    const stats = await client.adminCreditStats(camel);
    expect(stats.totals).toHaveProperty('credits_charged');
    expect(stats).toHaveProperty('top_users');
    expect(stats).not.toHaveProperty('topUsers');
  });
});

describe('argument objects', () => {
  it('refuses a key the function does not take, naming it, before calling', async () => {
    const call = client.completeGeneration(db.sql, { task_id: crypto.randomUUID() } as never);
    await expect(call).rejects.toThrow(TypeError);
    await expect(call).rejects.toThrow(/unknown argument "task_id".*taskId/);
  });

  it('refuses a missing required argument, naming it', async () => {
    await expect(client.completeGeneration(db.sql, {} as never)).rejects.toThrow(/missing required argument "taskId"/);
    await expect(client.getCreditBalance(db.sql, { userId: undefined } as never)).rejects.toThrow(/missing required argument "userId"/);
  });

  it('leaves optional arguments to their SQL defaults', async () => {
    const result = await client.expireStaleGenerations(db.sql);
    expect(result).toEqual([]);
  });
});

describe('values the server cannot read as their parameter type', () => {
  const invalid = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  };

  it('are InvalidArgumentError naming the argument, before anything is sent', async () => {
    const userId = crypto.randomUUID();
    expect(await invalid(client.getCreditBalance(db.sql, { userId: 'not-a-uuid' }))).toMatchObject({ code: 'CR003', parameter: 'userId' });
    const start = (credits: number) =>
      client.startGeneration(db.sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'm', credits });
    expect(await invalid(start(2.5))).toMatchObject({ code: 'CR003', parameter: 'credits' });
    expect(await invalid(start(2 ** 31))).toMatchObject({ code: 'CR003', parameter: 'credits' });
    expect(await invalid(client.allocateMonthlyCredits(db.sql, { periodStart: '2026-13-01' }))).toMatchObject({ parameter: 'periodStart' });
    expect(await invalid(client.completeGeneration(db.sql, { taskId: userId, providerCostUsd: 'a lot' }))).toMatchObject({
      parameter: 'providerCostUsd',
    });
    expect(await invalid(client.adminCreditStats(db.sql, { from: new Date('nope') }))).toMatchObject({ parameter: 'from' });
  });

  it("are InvalidArgumentError with the server's SQLSTATE when only the server can tell", async () => {
    const error = await invalid(client.expireStaleGenerations(db.sql, { olderThan: 'banana' }));
    expect(error.code).toBe('22007');
    expect(error.parameter).toBeUndefined();
  });
});
