// public.credit_history: pages through an account newest first, exact while other connections
// write to it (no row twice, none that existed missed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { historyPages, ledgerViolations, newAccount, startGeneration } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 8 });
});
afterAll(() => db.drop());

describe('credit_history', () => {
  it('pages through an account while four connections charge it: no row twice, none that existed missed', async () => {
    const user = await newAccount(db.sql, 'pro');
    await client.grantCredits(db.sql, { userId: user, credits: 100_000, reason: 'load', idempotencyKey: 'load' });
    for (let i = 0; i < 60; i++) await startGeneration(db.sql, user, 1);
    const existing = (await db.sql`select id from credit_transactions where user_id = ${user}`).map((r) => r.id as string);

    let writing = true;
    const writers = [0, 1, 2, 3].map(async () => {
      while (writing) await startGeneration(db.sql, user, 1);
    });
    const read = await historyPages(db.sql, user, 7);
    writing = false;
    await Promise.all(writers);

    const ids = read.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(existing));
    // newest first, each page continuing the last: the order is (created_at, id) descending throughout
    const keys = read.map((r) => `${r.created_at}|${r.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});
