// The typed client works whatever options the caller's `sql` was made with (a common one:
// `transform: postgres.camel`, which renames result columns and the keys inside json values),
// and an argument object with a key the function does not take, or without a required one, is a
// TypeError naming the key — never a silently dropped argument.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import * as client from '../src/generated/client.js';
import { WaveSpeedApi } from '../src/wavespeed/api.js';
import { reconcileGenerations } from '../src/wavespeed/reconcile.js';
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

  it("are InvalidArgumentError with the server's SQLSTATE when only the server can tell, naming the argument of that type", async () => {
    const error = await invalid(client.expireStaleGenerations(db.sql, { olderThan: 'banana' }));
    expect(error.code).toBe('22007');
    expect(error.parameter).toBe('olderThan');
    expect(error.message).toMatch(/^olderThan: invalid input syntax for type interval/);
    const lease = await invalid(client.claimCreditEvents(db.sql, { limit: 5, lease: 'banana' }));
    expect(lease.parameter).toBe('lease');
    // a value past its type's range, read by the server before any check of the function's
    const huge = await invalid(client.expireStaleGenerations(db.sql, { olderThan: '300000000 years' }));
    expect(huge).toMatchObject({ code: '22008', parameter: 'olderThan' });
    expect(huge.message).toMatch(/^olderThan: interval out of range/);
    const far = await invalid(client.creditStatement(db.sql, { userId: crypto.randomUUID(), periodStart: '99999999-01-01' }));
    expect(far).toMatchObject({ parameter: 'periodStart' });
    // two intervals given: the server's message cannot tell which one, so none is named
    const ambiguous = await invalid(
      client.claimGenerationsToReconcile(db.sql, { provider: 'wavespeed', olderThan: 'banana', lease: '1 minute' }),
    );
    expect(ambiguous.parameter).toBeUndefined();
  });

  it("say a fractional number is not a whole number, without quoting the integer type's range as if it were the argument's", async () => {
    const userId = crypto.randomUUID();
    const error = await invalid(
      client.startGeneration(db.sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'm', credits: 1.5 }),
    );
    expect(error).toMatchObject({ code: 'CR003', parameter: 'credits' });
    expect(error.message).toMatch(/credits must be a whole number/);
    expect(error.message).not.toMatch(/2147483647/);
  });
});

describe("the database's refusals of an argument", () => {
  const refused = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('CR003');
    return error as InvalidArgumentError;
  };
  const userId = crypto.randomUUID();
  beforeAll(() => client.ensureCreditAccount(db.sql, { userId, tier: 'basic' }));

  it.each([
    ['credit_history, limit 0', () => client.creditHistory(db.sql, { userId, limit: 0 }), 'limit', /^limit must be between 1 and 1000/],
    [
      'start_generation, a blank taskType',
      () => client.startGeneration(db.sql, { userId, taskType: ' ', provider: 'wavespeed', model: 'm', credits: 1 }),
      'taskType',
      /^taskType is required/,
    ],
    [
      'start_generation, credits over its range (the range the database defines)',
      () => client.startGeneration(db.sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'm', credits: 5_000_000 }),
      'credits',
      /^credits must be a whole number of credits between 1 and 1000000/,
    ],
    [
      'change_tier, an unknown tier (named by the DETAIL)',
      () => client.changeTier(db.sql, { userId, tier: 'platinum', idempotencyKey: 'k' }),
      'tier',
      /unknown tier/,
    ],
    [
      'grant_promotional_credits, a validity of a day over a year',
      () => client.grantPromotionalCredits(db.sql, { userId, credits: 5, validFor: '367 days', reason: 'r', idempotencyKey: 'k' }),
      'validFor',
      /^validFor must be/,
    ],
  ])('%s: parameter is the option, and the message names it', async (_, call, parameter, message) => {
    const error = await refused(call());
    expect(error.parameter).toBe(parameter);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\bp_[a-z]/);
    expect(error.detail).toMatch(/\bp_[a-z]/); // the server's DETAIL, as the server wrote it
  });

  it("reconcileGenerations names its own option (olderThanSeconds), not the SQL function's p_older_than", async () => {
    const api = new WaveSpeedApi({ apiKey: 'unused', baseUrl: 'http://127.0.0.1:9' });
    const error = await refused(reconcileGenerations(db.sql, { api, olderThanSeconds: 0 }));
    expect(error.parameter).toBe('olderThanSeconds');
    expect(error.message).toMatch(/^olderThanSeconds /);
    expect(error.message).not.toMatch(/p_older_than|olderThan\b/);
    // named as this function's options, whether the claim refuses it alone or in one message with olderThan and lease
    const limit = await refused(reconcileGenerations(db.sql, { api, limit: 0 }));
    expect(limit.message).toMatch(/\blimit (must be )?between 1 and 10000/);
    expect(limit.message).not.toMatch(/p_|olderThan\b|\blease\b/);
    expect(['limit', undefined]).toContain(limit.parameter); // never another option
  });
});
