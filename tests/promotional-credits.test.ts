// Promotional credits with real concurrent connections: charges racing over an account's lots,
// refunds racing charges and expiry, two expiry jobs racing each other and the charges. Whatever
// the interleaving, each lot expires once, each credit is spent or expired once, and the ledger
// proves the three buckets (verify_ledger).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../src/generated/client.js';
import { createTestDatabase, type TestDatabase, RACE_CONNECTIONS } from './helpers/db.js';
import { ledgerViolations, newAccount, settle, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: RACE_CONNECTIONS });
  await Promise.all(Array.from({ length: RACE_CONNECTIONS }, () => db.sql`select pg_sleep(0.05)`));
});
afterAll(() => db.drop());

let keys = 0;
const grant = (userId: string, credits: number, validFor: string) =>
  client.grantPromotionalCredits(db.sql, { userId, credits, validFor, reason: 'test', idempotencyKey: `promo-${++keys}` });
/** Moves lots' expiry into the past: the test cannot wait days. */
const lapse = (lotIds: number[]) =>
  db.sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second' where id = any(${lotIds})`;
const buckets = async (userId: string) => {
  const [row] = await db.sql`select credits::int, monthly_credits::int monthly, purchased_credits::int purchased,
                                    promotional_credits::int promotional from user_credits where user_id = ${userId}`;
  return row!;
};
/** How many expiration rows each lot of these accounts got (a lot spent to nothing gets none). */
const expirationsPerLot = (userIds: string[]) =>
  db.sql`select substring(description from 'lot ([0-9]+)$')::int lot, count(*)::int n
           from credit_transactions where user_id = any(${userIds}) and type = 'expiration' and promotional_amount < 0
          group by 1 order by 1`;

describe('promotional credits under concurrency', () => {
  it('spends three lots soonest first however 30 charges interleave', async () => {
    const user = await newAccount(db.sql, 'basic'); // 100 monthly
    await client.grantCredits(db.sql, { userId: user, credits: 10, reason: 'pack', idempotencyKey: `pack-${user}` });
    const lots = [await grant(user, 20, '1 day'), await grant(user, 30, '2 days'), await grant(user, 25, '3 days')];
    const { ok, codes } = await settle(Array.from({ length: 30 }, () => startGeneration(db.sql, user, 3)));
    expect(codes).toEqual([]);
    expect(ok).toHaveLength(30);
    // 90 credits: all 75 promotional, then 15 of the monthly 100; purchased untouched
    expect(await buckets(user)).toEqual({ credits: 95, monthly: 85, purchased: 10, promotional: 0 });
    const spent = await db.sql`select lot_id::int, sum(credits)::int credits from credits_private.promotional_spends
                                 where lot_id = any(${lots.map((l) => l.lot_id)}) group by lot_id order by lot_id`;
    expect(spent).toEqual(lots.map((l, i) => ({ lot_id: l.lot_id, credits: [20, 30, 25][i] })));
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('keeps every credit when refunds race charges, a lot lapses meanwhile and two expiry jobs run', async () => {
    const user = await newAccount(db.sql, 'basic');
    const soon = await grant(user, 40, '1 day');
    await grant(user, 40, '2 days');
    const first = await Promise.all(Array.from({ length: 20 }, () => startGeneration(db.sql, user, 2))); // 40: all of the soonest lot
    await lapse([soon.lot_id]);
    const { codes } = await settle<unknown>([
      ...first.map((t) => client.failGeneration(db.sql, { taskId: t.task_id, errorMessage: 'provider error' })),
      ...Array.from({ length: 20 }, () => startGeneration(db.sql, user, 1)),
      client.expirePromotionalCredits(db.sql),
      client.expirePromotionalCredits(db.sql),
    ]);
    expect(codes).toEqual([]);
    // 180 - 40 charged: the refunds' 40 credits of the lapsed lot come back as purchased ones; the
    // 20 later charges took 20 of the live lot (the lapsed one held nothing, or had expired).
    expect(await buckets(user)).toEqual({ credits: 160, monthly: 100, purchased: 40, promotional: 20 });
    expect(await expirationsPerLot([user])).toEqual([]); // the lapsed lot held nothing when it expired
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it("skips an account locked by a charge without using up the job's batch, and never waits for it", async () => {
    const [busy, idle] = [await newAccount(db.sql, 'free'), await newAccount(db.sql, 'free')];
    const lots = [await grant(busy, 4, '1 hour'), await grant(idle, 6, '1 hour')];
    await lapse(lots.map((l) => l.lot_id));
    await db.sql.begin(async (tx) => {
      await tx`select 1 from user_credits where user_id = ${busy} for update`; // a charge in flight
      const run = await client.expirePromotionalCredits(db.sql, { limit: 1 });
      expect(run).toMatchObject({ accounts: 1, credits_expired: 6 });
    });
    expect(await buckets(idle)).toEqual({ credits: 10, monthly: 10, purchased: 0, promotional: 0 });
    expect(await buckets(busy)).toEqual({ credits: 14, monthly: 10, purchased: 0, promotional: 4 }); // the next run's
    expect(await client.expirePromotionalCredits(db.sql, { limit: 1 })).toMatchObject({ accounts: 1, credits_expired: 4 });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('expires each lot once when two jobs and the accounts own charges race over 100 accounts', async () => {
    const users = await Promise.all(Array.from({ length: 100 }, () => newAccount(db.sql, 'free'))); // 10 monthly each
    const lots = await Promise.all(users.map((u) => grant(u, 5, '1 hour')));
    await Promise.all(users.map((u) => grant(u, 3, '2 hours'))); // live: must survive
    await lapse(lots.map((l) => l.lot_id));
    const job = async () => {
      let expired = 0;
      for (let run = await client.expirePromotionalCredits(db.sql, { limit: 7 }); run.lots > 0; ) {
        expired += run.credits_expired;
        run = await client.expirePromotionalCredits(db.sql, { limit: 7 });
      }
      return expired;
    };
    const { ok, codes } = await settle<unknown>([
      job(),
      job(),
      ...users.slice(0, 30).map((u) => startGeneration(db.sql, u, 4)), // lazy expiry of their own lots, then the live lot
    ]);
    expect(codes).toEqual([]);
    const [byJobs, byJobs2] = ok as number[];
    // what the jobs expired and what the charges expired add up to every due lot's 5 credits, once
    const [expired] = await db.sql`select count(*)::int n, -sum(amount)::int credits from credit_transactions
                                    where user_id = any(${users}) and type = 'expiration' and promotional_amount < 0`;
    expect(expired).toEqual({ n: 100, credits: 500 });
    // the jobs expired the lots of the 70 accounts that did not charge at least (350 credits)
    expect(byJobs! + byJobs2!).toBeGreaterThanOrEqual(350);
    expect(byJobs! + byJobs2!).toBeLessThanOrEqual(500);
    expect((await expirationsPerLot(users)).every((r) => r.n === 1)).toBe(true);
    for (const u of users.slice(0, 30)) expect(await buckets(u)).toEqual({ credits: 9, monthly: 9, purchased: 0, promotional: 0 });
    for (const u of users.slice(30, 40)) expect(await buckets(u)).toEqual({ credits: 13, monthly: 10, purchased: 0, promotional: 3 });
    const [open] = await db.sql`select count(*)::int n from credits_private.promotional_lots
                                 where user_id = any(${users}) and expired_at is null and expires_at <= now()`;
    expect(open!.n).toBe(0);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
