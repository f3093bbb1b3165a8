// The generated client is what the migrations produce (a stale file fails the suite), and it
// works: typed calls, typed errors with their numbers, credits as numbers and exact decimal strings.
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFiles, generatedPath, generateSources } from '../tools/codegen/generate.js';
import {
  IdempotencyConflictError,
  InsufficientCreditsError,
  InvalidArgumentError,
  NoCreditAccountError,
  PermissionDeniedError,
  TaskNotFoundError,
  TransitionNotAllowedError,
} from '../src/errors.js';
import * as client from '../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});
afterAll(() => db.drop());

describe('codegen', () => {
  it('src/generated/*.ts and docs/schema.sql are up to date with the migrations (else: npm run codegen)', async () => {
    const sources = await generateSources(db.url);
    for (const file of Object.keys(generatedFiles) as (keyof typeof generatedFiles)[]) {
      expect(sources[file], generatedFiles[file]).toBe(await readFile(generatedPath(file), 'utf8'));
    }
  });
});

describe('the generated client', () => {
  it('runs a lifecycle with typed arguments and results', async () => {
    const userId = randomUUID();
    const account = await client.ensureCreditAccount(db.sql, { userId, tier: 'basic' });
    expect(account).toMatchObject({ created: true, total_credits: 100, tier: 'basic' });
    expect(typeof account.period_start).toBe('string'); // a date stays 'YYYY-MM-DD'

    const started = await client.startGeneration(db.sql, {
      userId,
      taskType: 'enhance',
      provider: 'wavespeed',
      model: 'nano-banana',
      credits: 3,
      metadata: { prompt: 'cat' },
    });
    expect(started).toMatchObject({ balance: 97, replayed: false });
    const taskId = started.task_id!;
    expect(await client.markGenerationSubmitted(db.sql, { taskId, externalTaskId: 'ws-1' })).toMatchObject({ outcome: 'submitted' });
    expect(await client.completeGeneration(db.sql, { taskId, providerCostUsd: '0.039000' })).toMatchObject({ outcome: 'completed' });
    const [task] = await db.sql`select provider_cost_usd::text c, metadata from enhancement_tasks where id = ${taskId}`;
    expect(task).toEqual({ c: '0.039000', metadata: { prompt: 'cat' } });

    const second = await client.startGeneration(db.sql, {
      userId,
      taskType: 'enhance',
      provider: 'wavespeed',
      model: 'nano-banana',
      credits: 5,
    });
    expect(await client.failGeneration(db.sql, { taskId: second.task_id!, errorMessage: 'boom', source: 'api_error' })).toMatchObject({
      refunded_credits: 5,
      balance: 97,
      outcome: 'refunded',
    });
    expect(await client.getCreditBalance(db.sql, { userId })).toMatchObject({ total_credits: 97, used_this_month: 3 });
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });

  it('maps bigint to numbers, numeric to exact strings, and reads views with typed filters', async () => {
    const allocation = await client.allocateMonthlyCredits(db.sql);
    expect(typeof allocation.credits_allocated).toBe('number');
    await client.monitoringRefreshRollups(db.sql);
    const [today] = await client.readMonitoringSummary(db.sql, {
      where: { granularity: 'day' },
      orderBy: 'period_start',
      descending: true,
      limit: 1,
    });
    expect(today).toMatchObject({ granularity: 'day', completed: 1, failed: 1, cost_usd: '0.039000' });
    expect(typeof today!.credits_charged).toBe('number');
    await expect(client.readMonitoringSummary(db.sql, { orderBy: 'nope' as 'granularity' })).rejects.toThrow(/has no column nope/);
    const stats = await client.adminCreditStats(db.sql);
    expect(stats.totals.generations).toBe(2);
  });

  it('raises one error class per contract SQLSTATE, with the numbers', async () => {
    const userId = randomUUID();
    await client.ensureCreditAccount(db.sql, { userId }); // free: 10 credits
    const start = (credits: number, idempotencyKey?: string) =>
      client.startGeneration(db.sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'm', credits, idempotencyKey });

    const insufficient = await start(11).catch((e: unknown) => e);
    expect(insufficient).toBeInstanceOf(InsufficientCreditsError);
    expect(insufficient).toMatchObject({ code: 'CR001', required: 11, available: 10 });
    await expect(
      client.startGeneration(db.sql, { userId: randomUUID(), taskType: 'e', provider: 'p', model: 'm', credits: 1 }),
    ).rejects.toBeInstanceOf(NoCreditAccountError);
    await expect(start(0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.completeGeneration(db.sql, { taskId: randomUUID() })).rejects.toBeInstanceOf(TaskNotFoundError);
    const { task_id } = await start(1, 'k');
    await client.failGeneration(db.sql, { taskId: task_id!, errorMessage: 'x' });
    await expect(client.markGenerationSubmitted(db.sql, { taskId: task_id!, externalTaskId: 'late' })).rejects.toBeInstanceOf(
      TransitionNotAllowedError,
    );
    await expect(start(2, 'k')).rejects.toBeInstanceOf(IdempotencyConflictError);
    const denied = await db.sql.begin(async (tx) => {
      await tx`set local role anon`;
      return tx.savepoint((sp) => client.getCreditBalance(sp, { userId })).catch((e: unknown) => e);
    });
    expect(denied).toBeInstanceOf(PermissionDeniedError);
  });
});
