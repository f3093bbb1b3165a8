// Contract §13 under real concurrent connections: revocations race charges, refunds, purchases
// and each other on one account, and no credit is lost or created: whatever the order, the
// account ends holding what the movements add up to, or owing it, never both; a key raced
// revokes once; a voided grant raced by its refunds never gives credits back.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../src/generated/client.js';
import { IdempotencyConflictError, InsufficientCreditsError } from '../src/errors.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations, newAccount, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 16 }); // 16 connections race; the embedded server serves every file at once
});
afterAll(() => db.drop());

async function held(userId: string) {
  const b = await client.getCreditBalance(db.sql, { userId });
  return { credits: b.total_credits, debt: b.debt_credits };
}

/** What the account must hold or owe when its movements add up to `net`: one or the other, never both. */
const settledAt = (net: number) => (net >= 0 ? { credits: net, debt: 0 } : { credits: 0, debt: -net });

async function ledgerSum(userId: string) {
  const [r] = await db.sql`select coalesce(sum(amount), 0)::int n from credit_transactions where user_id = ${userId}`;
  return r!.n as number;
}

describe('debt under concurrency (contract §13)', () => {
  it('a revocation racing charges, refunds and purchases on one account: no credit lost or created, the debt exact', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await newAccount(db.sql, 'pro'); // 500 monthly credits
      await client.grantCredits(db.sql, { userId: user, credits: 300, reason: 'pack', idempotencyKey: `pack-${round}` });
      const inFlight = [];
      for (let i = 0; i < 5; i++) inFlight.push((await startGeneration(db.sql, user, 20)).task_id);
      const before = (await held(user)).credits; // 700
      const starts = Array.from({ length: 20 }, () => startGeneration(db.sql, user, 10));
      const refunds = inFlight.map((taskId) => client.failGeneration(db.sql, { taskId, errorMessage: 'provider error' }));
      const purchases = Array.from({ length: 3 }, (_, i) =>
        client.grantCredits(db.sql, { userId: user, credits: 50, reason: 'pack', idempotencyKey: `more-${round}-${i}` }),
      );
      const revocations = [
        client.revokeCredits(db.sql, { userId: user, credits: 600, reason: 'chargeback', idempotencyKey: `dp-${round}-a` }),
        client.revokeCredits(db.sql, { userId: user, credits: 400, reason: 'refund', idempotencyKey: `dp-${round}-b` }),
        client.revokeCredits(db.sql, { userId: user, credits: 600, reason: 'chargeback', idempotencyKey: `dp-${round}-a` }), // the webhook again
      ];
      const [started, refunded, bought, revoked] = await Promise.all([
        Promise.allSettled(starts),
        Promise.all(refunds),
        Promise.all(purchases),
        Promise.all(revocations),
      ]);
      const charged = started.filter((r) => r.status === 'fulfilled').length * 10;
      for (const r of started) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InsufficientCreditsError);
      expect(refunded.map((r) => r.refunded_credits)).toEqual([20, 20, 20, 20, 20]);
      expect(bought).toHaveLength(3);
      // the same key twice (whichever ran first): the other returned the first call's result, revoked once
      const [first, again] = [revoked[0]!, revoked[2]!].sort((a, b) => Number(a.replayed) - Number(b.replayed));
      expect(again).toEqual({ ...first, replayed: true });
      expect(revoked.filter((r) => r.replayed)).toHaveLength(1);
      const net = before - charged + 100 + 150 - 1000;
      expect(await held(user)).toEqual(settledAt(net));
      expect(await ledgerSum(user)).toBe(net); // credits - debt = Σ amount
      expect(await db.sql`select count(*)::int n from credit_transactions where user_id = ${user} and type = 'revocation'`).toEqual([
        { n: 2 },
      ]);
    }
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('refunds and purchases racing into an account in debt repay it exactly once', async () => {
    const user = await newAccount(db.sql, 'free'); // 10
    await client.grantCredits(db.sql, { userId: user, credits: 290, reason: 'pack', idempotencyKey: 'pack' });
    const tasks = [];
    for (let i = 0; i < 10; i++) tasks.push((await startGeneration(db.sql, user, 25)).task_id); // 250 held
    const revocation = await client.revokeCredits(db.sql, { userId: user, credits: 400, reason: 'chargeback', idempotencyKey: 'dp' });
    expect(revocation).toMatchObject({ revoked: 400, debt_credits: 350, balance: 0, replayed: false });
    await Promise.all([
      ...tasks.map((taskId) => client.failGeneration(db.sql, { taskId, errorMessage: 'provider error' })),
      ...Array.from({ length: 4 }, (_, i) =>
        client.grantCredits(db.sql, { userId: user, credits: 40, reason: 'pack', idempotencyKey: `more-${i}` }),
      ),
    ]);
    expect(await held(user)).toEqual(settledAt(-350 + 250 + 160)); // holds 60, owes nothing
    const [parts] = await db.sql`select sum(debt_amount)::int repaid, count(*) filter (where debt_amount > 0)::int rows
                                   from credit_transactions where user_id = ${user} and debt_amount > 0`;
    expect(parts!.repaid).toBe(350); // exactly the debt: no credit repaid it twice
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('one key raced 20 times revokes once; the key with another amount is refused', async () => {
    const user = await newAccount(db.sql, 'basic'); // 100
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.revokeCredits(db.sql, { userId: user, credits: 150, reason: 'chargeback', idempotencyKey: 'dp_same' }),
      ),
    );
    expect(new Set(results.map((r) => r.transaction_id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results) expect(r).toMatchObject({ revoked: 150, debt_credits: 50, balance: 0 });
    expect(await held(user)).toEqual({ credits: 0, debt: 50 });
    const refused = await client
      .revokeCredits(db.sql, { userId: user, credits: 151, reason: 'chargeback', idempotencyKey: 'dp_same' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IdempotencyConflictError);
    expect(await held(user)).toEqual({ credits: 0, debt: 50 });
  });

  it('a void racing the refunds of charges made from the grant: none of its credits comes back', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await newAccount(db.sql, 'free'); // 10 monthly
      const grant = await client.grantPromotionalCredits(db.sql, {
        userId: user,
        credits: 60,
        validFor: '7 days',
        reason: 'launch promo',
        idempotencyKey: `promo-${round}`,
      });
      const tasks = [];
      for (let i = 0; i < 5; i++) tasks.push((await startGeneration(db.sql, user, 10)).task_id); // 50 of the grant
      await Promise.all([
        ...tasks.map((taskId) => client.failGeneration(db.sql, { taskId, errorMessage: 'provider error' })),
        client.voidPromotionalGrant(db.sql, { userId: user, lotId: grant.lot_id, reason: 'abused' }),
      ]);
      // whichever came first, the grant's 60 credits are gone; the monthly 10 stay
      const balance = await client.getCreditBalance(db.sql, { userId: user });
      expect([balance.total_credits, balance.promotional_credits, balance.monthly_credits]).toEqual([10, 0, 10]);
      expect(await ledgerSum(user)).toBe(10);
    }
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('an account in debt is refused a start with InsufficientCreditsError, and its balance says why', async () => {
    const user = randomUUID();
    await client.ensureCreditAccount(db.sql, { userId: user, tier: 'free' });
    await client.revokeCredits(db.sql, { userId: user, credits: 25, reason: 'chargeback', idempotencyKey: 'dp' });
    const refused = await startGeneration(db.sql, user, 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InsufficientCreditsError);
    expect(await held(user)).toEqual({ credits: 0, debt: 15 });
  });
});
