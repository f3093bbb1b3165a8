// Automatic top-ups (contract §13) with real concurrent connections: one request however many
// charges race across the threshold, none while one is open, and a grant or a decline racing the
// charges that follow it closes the request exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../src/generated/client.js';
import { createTestDatabase, RACE_CONNECTIONS, type TestDatabase } from './helpers/db.js';
import { balanceOf, ledgerViolations, newAccount, settle, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: RACE_CONNECTIONS });
  await Promise.all(Array.from({ length: RACE_CONNECTIONS }, () => db.sql`select pg_sleep(0.05)`));
});
afterAll(() => db.drop());

const requestsOf = (userId: string) =>
  db.sql<{ id: number; balance: number; credits: number; idempotency_key: string; outcome: string | null }[]>`
    select id::int, balance::int, credits, idempotency_key, outcome from credits_private.credit_events
     where user_id = ${userId} and kind = 'top_up_requested' order by id`;

describe('automatic top-ups under concurrent charges', () => {
  it('writes exactly one request when 30 charges race across the threshold, for the credits back to the target', async () => {
    const user = await newAccount(db.sql, 'basic'); // 100 credits
    await client.setAutoTopUp(db.sql, { userId: user, threshold: 85, target: 300, monthlyLimit: 1000 });
    const { ok, codes } = await settle(Array.from({ length: 30 }, () => startGeneration(db.sql, user, 1)));
    expect(codes).toEqual([]);
    expect(ok).toHaveLength(30);
    const requests = await requestsOf(user);
    expect(requests).toEqual([
      { id: requests[0]!.id, balance: 84, credits: 216, idempotency_key: `auto-top-up:${requests[0]!.id}`, outcome: null },
    ]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('asks again only once the request is granted, however the grant and the charges interleave', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await newAccount(db.sql, 'basic'); // 100 credits
      await client.setAutoTopUp(db.sql, { userId: user, threshold: 60, target: 100, monthlyLimit: null });
      await startGeneration(db.sql, user, 50); // 100 -> 50: the request for 50
      const [request] = await requestsOf(user);
      // 20 charges of 1 race the grant of the request (and its replay): while the request is
      // open nothing more is asked; once granted (50 + 50 = 100 less what was charged) the balance
      // is back above the threshold, so a later crossing may ask again: at most once.
      const grant = () =>
        client.grantCredits(db.sql, {
          userId: user,
          credits: request!.credits,
          reason: 'top-up',
          idempotencyKey: request!.idempotency_key,
        });
      const { codes } = await settle<unknown>([...Array.from({ length: 20 }, () => startGeneration(db.sql, user, 1)), grant(), grant()]);
      expect(codes).toEqual([]);
      const requests = await requestsOf(user);
      expect(requests[0]!.outcome).toBe('granted');
      expect(requests.length).toBeLessThanOrEqual(2);
      // a second request exists exactly when a charge after the grant crossed 60 again
      const { credits } = await balanceOf(db.sql, user);
      expect(credits).toBe(100 - 50 + 50 - 20);
      const rows = await db.sql<{ before: number; after: number }[]>`
        select (balance_after - amount)::int as before, balance_after::int as after from credit_transactions
         where user_id = ${user} and type = 'usage' order by created_at, balance_after desc`;
      const crossings = rows.filter((r) => r.before >= 60 && r.after < 60).length;
      expect(requests.length).toBe(crossings);
      if (requests[1]) expect(requests[1].credits).toBe(100 - requests[1].balance);
    }
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('closes a request once when its decline races its grant: the grant wins or reads after a decline', async () => {
    const user = await newAccount(db.sql, 'basic');
    await client.setAutoTopUp(db.sql, { userId: user, threshold: 60, target: 100, monthlyLimit: 500 });
    await startGeneration(db.sql, user, 50);
    const [request] = await requestsOf(user);
    const { ok, codes } = await settle<object>([
      client.declineTopUp(db.sql, { eventId: request!.id }),
      client.declineTopUp(db.sql, { eventId: request!.id }),
      client.grantCredits(db.sql, { userId: user, credits: 50, reason: 'top-up', idempotencyKey: request!.idempotency_key }),
    ]);
    expect(codes).toEqual([]);
    const outcomes = ok.flatMap((r) => ('outcome' in r ? [r.outcome as string] : []));
    // one decline closed it or found it granted; the other found it already closed
    expect(outcomes.filter((o) => o === 'declined').length).toBeLessThanOrEqual(1);
    expect((await requestsOf(user))[0]!.outcome).toBe('granted'); // a grant after a decline still grants
    expect((await balanceOf(db.sql, user)).credits).toBe(100);
    const [settings] = await db.sql`select open_event_id from credits_private.auto_top_ups where user_id = ${user}`;
    expect(settings!.open_event_id).toBeNull();
  });

  it('holds each account to its monthly limit while many accounts charge and top up at once', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => newAccount(db.sql, 'basic'))); // 100 credits
    await Promise.all(users.map((u) => client.setAutoTopUp(db.sql, { userId: u, threshold: 90, target: 120, monthlyLimit: 100 })));
    // each account, its charges racing the other accounts': 100 -> 80 asks 40, granted (120),
    // 100, 80 asks 40 again, granted, then 100, 80 asks the 20 the limit leaves, then nothing more
    await Promise.all(
      users.map(async (u) => {
        for (let i = 0; i < 10; i++) {
          await startGeneration(db.sql, u, 20);
          const open = (await requestsOf(u)).find((r) => r.outcome === null);
          if (open)
            await client.grantCredits(db.sql, { userId: u, credits: open.credits, reason: 'top-up', idempotencyKey: open.idempotency_key });
          if ((await balanceOf(db.sql, u)).credits < 20) break;
        }
      }),
    );
    for (const u of users) {
      expect((await requestsOf(u)).map((r) => r.credits)).toEqual([40, 40, 20]);
      const [settings] = await db.sql`select requested_credits::int from credits_private.auto_top_ups where user_id = ${u}`;
      expect(settings!.requested_credits).toBe(100);
    }
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
