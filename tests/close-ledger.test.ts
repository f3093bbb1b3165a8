// close_ledger with real concurrent connections: a transaction begun before the instant and still
// open holds the closing back (it could yet write a row before it), and charges racing a closing
// all land on one side of it: the checkpoint and the rows since always add up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { newAccount, settle, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 12 });
});
afterAll(() => db.drop());

describe('close_ledger', () => {
  it('waits for a transaction begun before the instant: nothing is closed while it is open', async () => {
    const user = await newAccount(db.sql, 'basic');
    const reserved = await db.sql.reserve();
    try {
      await reserved`begin`;
      await reserved`select 1`; // its transaction has begun
      await new Promise((r) => setTimeout(r, 20));
      const [{ at }] = (await db.sql`select clock_timestamp() as at`) as unknown as [{ at: Date }];
      await expect(client.closeLedger(db.sql, { through: at })).rejects.toMatchObject({ code: 'CR005' });
      expect(await db.sql`select count(*)::int n from credits_private.ledger_closings`).toEqual([{ n: 0 }]);
      await startGeneration(reserved as unknown as typeof db.sql, user, 5); // its row is stamped before the instant
      await reserved`commit`;
      const closed = await client.closeLedger(db.sql, { through: at });
      expect(closed).toMatchObject({ outcome: 'closed' });
      const [row] = await db.sql`select created_at < ${at} as before from credit_transactions where user_id = ${user} and type = 'usage'`;
      expect(row!.before).toBe(true); // written before the instant, and closed with it
      expect(await client.verifyOpenPeriod(db.sql)).toEqual([]);
    } finally {
      reserved.release();
    }
  });

  it('closes while 40 charges race it: the checkpoints plus the rows since prove sound', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => newAccount(db.sql, 'pro')));
    const charges = Array.from({ length: 40 }, (_, i) => startGeneration(db.sql, users[i % 4]!, 1));
    await new Promise((r) => setTimeout(r, 5));
    // the instant: now, less a little, so that transactions begun before it may still be open
    const closing = db.sql`select clock_timestamp() - interval '2 milliseconds' as at`.then(async ([r]) => {
      for (;;) {
        try {
          return await client.closeLedger(db.sql, { through: r!.at as Date });
        } catch (error) {
          if ((error as { code?: string }).code !== 'CR005') throw error;
          await new Promise((x) => setTimeout(x, 10)); // a charge begun before it is still open: again
        }
      }
    });
    const { codes } = await settle<unknown>([...charges, closing]);
    expect(codes).toEqual([]);
    expect(await client.verifyOpenPeriod(db.sql)).toEqual([]);
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });
});
