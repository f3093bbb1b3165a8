// credits_private.current_period: the current UTC month whatever the session's time zone, and the
// one text of that rule: the copies kept inline (the hot path, the procedure that runs as its
// caller, the contract's argument defaults that run in the caller's rights) must say the same,
// and no other definition may write its own.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../src/migrate/definitions.js';
import { packageRoot } from '../../src/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 1 });
});
afterAll(() => db.drop());

const inlineCopies = [
  'functions/credits_private/fail_and_refund.sql',
  'functions/public/allocate_monthly_credits.sql',
  'functions/public/allocate_monthly_credits_in_batches.sql',
  'functions/public/credit_statement.sql',
  'functions/public/my_credit_statement.sql',
  'functions/public/start_generation.sql',
  'functions/public/team_member_statement.sql',
];

describe('credits_private.current_period', () => {
  it('is the first day of the current UTC month in any session time zone', async () => {
    const now = new Date();
    const expected = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    for (const zone of ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const [row] = await db.sql.begin(async (tx) => {
        await tx.unsafe(`set local time zone '${zone}'`);
        return tx`select credits_private.current_period()::text as period`;
      });
      expect(row).toEqual({ period: expected });
    }
  });

  it('is the one text of the rule: every inline copy says the same, no other definition has one', async () => {
    const own = await readFile(path.join(packageRoot, 'functions/credits_private/current_period.sql'), 'utf8');
    const rule = /return (.+);/.exec(own)![1]!;
    const copies = (await loadDefinitions(packageRoot))
      .filter((d) => d.object !== 'current_period')
      .flatMap((d) =>
        [
          ...d.sql
            .replace(/--.*$/gm, '')
            .replace(/pg_catalog\./g, '')
            .matchAll(/date_trunc\('month', now\(\)[^;,)]*\)[^;,\n]*/g),
        ].map((m) => ({ file: d.name, text: m[0]!.trim() })),
      );
    expect([...new Set(copies.map((c) => c.file))].sort()).toEqual(inlineCopies);
    expect(copies.filter((c) => !c.text.startsWith(rule))).toEqual([]);
  });
});
