// Low-balance events with real concurrent connections: one event per crossing however many
// charges race, two consumers that never get the same event, and the notification on commit.
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

const eventsOf = (userId: string) =>
  db.sql`select balance::int, threshold from credits_private.credit_events where user_id = ${userId} order by id`;

describe('low-balance events', () => {
  it('writes exactly one event when 30 charges race across the threshold', async () => {
    const user = await newAccount(db.sql, 'basic'); // 100 credits
    await client.setLowBalanceThreshold(db.sql, { userId: user, threshold: 85 });
    const { ok, codes } = await settle(Array.from({ length: 30 }, () => startGeneration(db.sql, user, 1)));
    expect(codes).toEqual([]);
    expect(ok).toHaveLength(30);
    expect(await eventsOf(user)).toEqual([{ balance: 84, threshold: 85 }]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('hands each event to one of two consumers claiming at once, and each is completed once', async () => {
    const users = await Promise.all(Array.from({ length: 40 }, () => newAccount(db.sql, 'free'))); // 10 credits
    await Promise.all(users.map((u) => client.setLowBalanceThreshold(db.sql, { userId: u, threshold: 5 })));
    await Promise.all(users.map((u) => startGeneration(db.sql, u, 6))); // 10 -> 4: one event each
    const handled: number[][] = [[], []];
    await Promise.all(
      [0, 1].map(async (consumer) => {
        for (;;) {
          const events = await client.claimCreditEvents(db.sql, { limit: 3 });
          if (events.length === 0) return;
          handled[consumer]!.push(...events.map((e) => e.event_id));
          expect(await client.completeCreditEvents(db.sql, { eventIds: events.map((e) => e.event_id) })).toBe(events.length);
        }
      }),
    );
    const all = handled.flat();
    const mine = await db.sql`select id from credits_private.credit_events where user_id = any(${users})`;
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(mine.map((r) => Number(r.id))));
    const [left] = await db.sql`select count(*)::int n from credits_private.credit_events where done_at is null`;
    expect(left!.n).toBe(0);
  });

  it('notifies credit_events with the event id alone when the charge commits, and not for one rolled back', async () => {
    const user = await newAccount(db.sql, 'free');
    await client.setLowBalanceThreshold(db.sql, { userId: user, threshold: 8 });
    const heard: unknown[] = [];
    const listener = await db.sql.listen('credit_events', (payload) => heard.push(JSON.parse(payload)));
    try {
      await db.sql
        .begin(async (tx) => {
          await tx`select * from start_generation(${user}, 'enhance', 'wavespeed', 'm', 5)`;
          throw new Error('roll it back');
        })
        .catch(() => {});
      await startGeneration(db.sql, user, 3); // 10 -> 7
      await new Promise((r) => setTimeout(r, 200));
      // Any role that can connect may LISTEN: the payload names no user and no balance.
      const [event] = await db.sql`select id, balance::int from credits_private.credit_events where user_id = ${user}`;
      expect(event!.balance).toBe(7);
      expect(heard).toContainEqual({ event_id: Number(event!.id) });
      expect(heard.every((h) => Object.keys(h as object).join() === 'event_id')).toBe(true);
    } finally {
      await listener.unlisten();
    }
  });

  it("applies a tier's threshold to its accounts from their next period, and at once to a new account", async () => {
    const old = await newAccount(db.sql, 'pro');
    await db.sql`update credit_tiers set low_balance_threshold = 50 where tier = 'pro'`;
    try {
      expect(await db.sql`select low_balance_threshold from user_credits where user_id = ${old}`).toEqual([
        { low_balance_threshold: null },
      ]);
      await db.sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${old}`;
      await db.sql`update credit_transactions set period_start = period_start - interval '1 month' where user_id = ${old}`;
      await startGeneration(db.sql, old, 451); // its month starts (the tier's threshold with it), then 500 -> 49
      expect(await eventsOf(old)).toEqual([{ balance: 49, threshold: 50 }]);
      const fresh = await newAccount(db.sql, 'pro');
      expect(await db.sql`select low_balance_threshold from user_credits where user_id = ${fresh}`).toEqual([
        { low_balance_threshold: 50 },
      ]);
      await startGeneration(db.sql, fresh, 451); // 500 -> 49
      expect(await eventsOf(fresh)).toEqual([{ balance: 49, threshold: 50 }]);
    } finally {
      await db.sql`update credit_tiers set low_balance_threshold = null where tier = 'pro'`;
    }
  });
});
