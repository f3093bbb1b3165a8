// credits_private.lock_account: the first step of a write to one account (the lock, CR002, the
// lazy roll-over), and start_generation's inline copy of it held to the same statements.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { newAccount } from '../helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 3 });
});
afterAll(() => db.drop());

const lockAccount = (sql: TestDatabase['sql'], user: string) => sql`select credits_private.lock_account(${user}::uuid)`;

describe('credits_private.lock_account', () => {
  it('refuses an account that does not exist with CR002, writing nothing', async () => {
    await expect(lockAccount(db.sql, '00000000-0000-0000-0000-00000000dead')).rejects.toMatchObject({ code: 'CR002' });
  });

  it('starts the current month for an account still in an earlier one, once, and leaves a current one as it is', async () => {
    const user = await newAccount(db.sql, 'basic');
    // the account as last month left it: its period and its allocation a month back
    await db.sql`update public.user_credits set period_start = period_start - interval '1 month' where user_id = ${user}`;
    await db.sql`update public.credit_transactions set period_start = period_start - interval '1 month' where user_id = ${user}`;
    await lockAccount(db.sql, user);
    const rows =
      await db.sql`select (select period_start = credits_private.current_period() from public.user_credits where user_id = ${user}) current,
                                     (select count(*)::int from public.credit_transactions where user_id = ${user} and type = 'allocation') allocations`;
    expect(rows[0]).toEqual({ current: true, allocations: 2 });
    await lockAccount(db.sql, user);
    const [again] = await db.sql`select count(*)::int n from public.credit_transactions where user_id = ${user} and type = 'allocation'`;
    expect(again).toEqual({ n: 2 });
  });

  it("holds the account's row until the transaction ends: a second writer waits", async () => {
    const user = await newAccount(db.sql, 'basic');
    const holder = await db.sql.reserve();
    try {
      await holder`begin`;
      await holder`select credits_private.lock_account(${user}::uuid)`;
      await expect(db.sql`select 1 from public.user_credits where user_id = ${user} for update nowait`).rejects.toMatchObject({
        code: '55P03',
      });
      await holder`commit`;
      await expect(db.sql`select 1 from public.user_credits where user_id = ${user} for update nowait`).resolves.toHaveLength(1);
    } finally {
      holder.release();
    }
  });

  it('is what start_generation does inline: the same lock, refusal and roll-over', async () => {
    const normalized = async (file: string) =>
      (await readFile(path.join(packageRoot, file), 'utf8')).replace(/--.*$/gm, '').replace(/\s+/g, ' ');
    const helper = await normalized('functions/credits_private/lock_account.sql');
    const inline = await normalized('functions/public/start_generation.sql');
    const steps = [
      'from public.user_credits uc where uc.user_id = p_user_id for update; if not found then perform credits_private.raise_no_account(p_user_id); end if;',
      'if v_period < v_current then perform credits_private.roll_over(array[p_user_id], v_current);',
    ];
    for (const step of steps) expect(helper).toContain(step);
    // start_generation locks the account that pays (v_account: the user's, or their team's); a
    // missing team is CR008 before the missing account's CR002
    for (const step of [
      'from public.user_credits uc where uc.user_id = v_account for update; if not found then',
      'perform credits_private.raise_no_account(p_user_id); end if;',
      'if v_period < v_current then perform credits_private.roll_over(array[v_account], v_current);',
    ])
      expect(inline).toContain(step);
  });
});
