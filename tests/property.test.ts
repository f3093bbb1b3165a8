// Property-based: random operation sequences against a plain TypeScript model of the ledger.
// Sequentially, every balance, bucket and usage counter must equal the model's after every step;
// in concurrent batches, the invariants must hold (verify_ledger() empty, nothing negative).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations, newAccount, type Sql } from './helpers/ledger.js';

type Op =
  | { kind: 'start'; user: number; credits: number }
  | { kind: 'submit' | 'complete' | 'fail' | 'sweep'; task: number }
  | { kind: 'grant'; user: number; credits: number }
  | { kind: 'rollover'; user: number };

const USERS = 3;
const ALLOWANCE = 10; // tier free

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('start' as const), user: fc.nat(USERS - 1), credits: fc.integer({ min: 1, max: 12 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('submit' as const), task: fc.nat(60) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), task: fc.nat(60) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), task: fc.nat(60) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), task: fc.nat(60) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('grant' as const), user: fc.nat(USERS - 1), credits: fc.integer({ min: 1, max: 20 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rollover' as const), user: fc.nat(USERS - 1) }) },
);

interface ModelUser {
  id: string;
  monthly: number;
  purchased: number;
  used: number;
  period: number;
}
interface ModelTask {
  id: string;
  user: ModelUser;
  credits: number;
  monthlyPart: number;
  period: number;
  status: string;
}

/** Moves an account one period back in time, then lets allocate_monthly_credits start the current one. */
async function rollover(sql: Sql, userId: string) {
  await sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${userId}`;
  await sql`update credit_transactions set period_start = period_start - interval '1 month'
             where user_id = ${userId} and period_start is not null`;
  await sql`select allocate_monthly_credits(date_trunc('month', now() at time zone 'UTC')::date)`;
}

function refund(task: ModelTask) {
  const u = task.user;
  if (task.period === u.period) {
    u.monthly += task.monthlyPart;
    u.purchased += task.credits - task.monthlyPart;
    u.used = Math.max(u.used - task.credits, 0);
  } else {
    u.purchased += task.credits;
  }
  task.status = 'failed';
}

async function apply(sql: Sql, op: Op, users: ModelUser[], tasks: ModelTask[]) {
  const inFlight = (t: ModelTask) => t.status === 'pending' || t.status === 'processing';
  switch (op.kind) {
    case 'start': {
      const u = users[op.user]!;
      try {
        const [r] = await sql`select * from start_generation(${u.id}, 'enhance', 'wavespeed', 'm', ${op.credits})`;
        const monthlyPart = Math.min(u.monthly, op.credits);
        expect(u.monthly + u.purchased).toBeGreaterThanOrEqual(op.credits);
        u.monthly -= monthlyPart;
        u.purchased -= op.credits - monthlyPart;
        u.used += op.credits;
        tasks.push({ id: r!.task_id, user: u, credits: op.credits, monthlyPart, period: u.period, status: 'pending' });
      } catch (error) {
        expect((error as { code?: string }).code).toBe('CR001');
        expect(u.monthly + u.purchased).toBeLessThan(op.credits);
      }
      return;
    }
    case 'grant': {
      const u = users[op.user]!;
      await sql`select grant_credits(${u.id}, ${op.credits}, 'top-up', ${crypto.randomUUID()})`;
      u.purchased += op.credits;
      return;
    }
    case 'rollover': {
      const u = users[op.user]!;
      await rollover(sql, u.id);
      u.monthly = ALLOWANCE;
      u.used = 0;
      u.period += 1;
      return;
    }
    default: {
      const task = tasks[op.task % Math.max(tasks.length, 1)];
      if (!task) return;
      if (op.kind === 'submit') {
        if (task.status !== 'pending') return; // submitting a finished task is CR005, tested elsewhere
        await sql`select mark_generation_submitted(${task.id}, ${`job-${task.id}`})`;
        task.status = 'processing';
      } else if (op.kind === 'complete') {
        const [r] = await sql`select outcome from complete_generation(${task.id})`;
        expect(r!.outcome).toBe(
          inFlight(task) ? 'completed' : task.status === 'completed' ? 'already_completed' : 'ignored_already_failed',
        );
        if (inFlight(task)) task.status = 'completed';
      } else if (op.kind === 'fail') {
        const [r] = await sql`select outcome, refunded_credits from fail_generation(${task.id}, 'boom')`;
        expect(r!.refunded_credits).toBe(inFlight(task) ? task.credits : 0);
        if (inFlight(task)) refund(task);
      } else {
        await sql`update enhancement_tasks set updated_at = updated_at - interval '1 hour' where id = ${task.id}`;
        const swept = await sql`select task_id from expire_stale_generations('30 minutes')`;
        expect(swept.map((s) => s.task_id)).toEqual(inFlight(task) ? [task.id] : []);
        if (inFlight(task)) refund(task);
      }
    }
  }
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 8 });
});
afterAll(() => db.drop());

describe('property: the ledger matches a model under random operations', () => {
  it('sequentially, every balance equals the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        const users: ModelUser[] = [];
        for (let i = 0; i < USERS; i++) {
          users.push({ id: await newAccount(db.sql, 'free'), monthly: ALLOWANCE, purchased: 0, used: 0, period: 0 });
        }
        const tasks: ModelTask[] = [];
        for (const op of ops) {
          await apply(db.sql, op, users, tasks);
          for (const u of users) {
            const [row] = await db.sql`select credits::int, monthly_credits::int, purchased_credits::int, credits_used_this_month::int
                                         from user_credits where user_id = ${u.id}`;
            expect(row).toEqual({
              credits: u.monthly + u.purchased,
              monthly_credits: u.monthly,
              purchased_credits: u.purchased,
              credits_used_this_month: u.used,
            });
          }
        }
        expect(await ledgerViolations(db.sql)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('in concurrent batches, the invariants always hold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 8 }), async (batches) => {
        const users: ModelUser[] = [];
        for (let i = 0; i < USERS; i++) {
          users.push({ id: await newAccount(db.sql, 'free'), monthly: ALLOWANCE, purchased: 0, used: 0, period: 0 });
        }
        const taskIds: string[] = [];
        for (const batch of batches) {
          await Promise.allSettled(
            batch.map(async (op) => {
              if (op.kind === 'start') {
                const [r] =
                  await db.sql`select task_id from start_generation(${users[op.user]!.id}, 'enhance', 'wavespeed', 'm', ${op.credits})`;
                taskIds.push(r!.task_id);
              } else if (op.kind === 'grant') {
                await db.sql`select grant_credits(${users[op.user]!.id}, ${op.credits}, 'top-up', ${crypto.randomUUID()})`;
              } else if (op.kind === 'rollover') {
                await rollover(db.sql, users[op.user]!.id);
              } else {
                const id = taskIds[op.task % Math.max(taskIds.length, 1)];
                if (!id) return;
                if (op.kind === 'complete') await db.sql`select complete_generation(${id})`;
                else if (op.kind === 'fail') await db.sql`select fail_generation(${id}, 'boom')`;
                else if (op.kind === 'submit') await db.sql`select mark_generation_submitted(${id}, ${`job-${id}`})`;
                else await db.sql`select expire_stale_generations('0.5 seconds')`;
              }
            }),
          );
        }
        expect(await ledgerViolations(db.sql)).toEqual([]);
        const [neg] = await db.sql`select count(*)::int n from user_credits
                                    where least(credits, monthly_credits, purchased_credits, credits_used_this_month) < 0`;
        expect(neg!.n).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});
