// Who may write the ledger, after every deploy, on plain PostgreSQL and with Supabase's roles and
// default privileges (issue 10, items 10, 11 and 13).
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateUp } from '../src/migrate/index.js';
import { packageRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import type { Sql } from './helpers/ledger.js';

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.drop()));
});
async function database(options: { empty?: boolean } = {}) {
  const db = await createTestDatabase({ ...options, max: 4 });
  opened.push(db);
  return db;
}

/**
 * Every write privilege that a role other than the owner holds on a relation of the package,
 * and any privilege anon holds there:
 * its schemas, its tables in public and the views it defines there. Read from the catalog,
 * independently of the code that enforces it.
 */
const foreignWrites = (sql: Sql) =>
  sql`select distinct format('%s %s on %s', case when a.grantee = 0 then 'public' else a.grantee::regrole::text end,
                             a.privilege_type, c.oid::regclass) as grant
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join lateral (select c.relacl union all
                            select attacl from pg_attribute where attrelid = c.oid and attacl is not null) acl (acl)
        cross join lateral aclexplode(acl.acl) a
       where c.relkind in ('r', 'p', 'v', 'm', 'f')
         and (n.nspname in ('credits_private', 'credits_meta', 'monitoring', 'monitoring_private', 'archive')
              or (n.nspname = 'public' and (c.relname in ('user_credits', 'credit_transactions', 'enhancement_tasks', 'credit_tiers', 'provider_prices')
                                             or exists (select 1 from credits_meta.definitions d where d.kind = 'view' and d.schema = 'public' and d.object = c.relname))))
         and a.grantee <> c.relowner
         and (a.privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
              or a.grantee = 'anon'::regrole) -- anon may do nothing at all
       order by 1`.then((rows) => rows.map((r) => r.grant as string));

/** Runs one statement as `role` (with a JWT subject if given); its rows, or the SQLSTATE it raised. */
async function as(sql: Sql, role: string, statement: string, sub?: string): Promise<{ rows?: Record<string, unknown>[]; code?: string }> {
  try {
    const rows = await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      if (sub) await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub, role })}, true)`;
      return tx.unsafe(statement);
    });
    return { rows: rows.map((r) => ({ ...r })) };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) };
  }
}

/** Roles are cluster-wide and shared by parallel tests: create what is missing, never drop. */
async function ensureSupabaseRoles(sql: Sql) {
  const roles: [string, string][] = [
    ['anon', 'nologin'],
    ['authenticated', 'nologin'],
    ['service_role', 'nologin noinherit bypassrls'],
  ];
  for (const [role, options] of roles) {
    try {
      await sql.unsafe(`do $$ begin if to_regrole('${role}') is null then create role ${role} ${options}; end if; end $$`);
    } catch (error) {
      // 42710 / 23505: another test created it at the same moment
      if (!['42710', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
    }
  }
  // As on Supabase, whoever created it first.
  await sql.unsafe('alter role service_role noinherit bypassrls');
}

describe('write privileges after a deploy', () => {
  it('are taken back from every role but the owner, including grants made after the last deploy', async () => {
    const db = await database();
    await db.sql.unsafe(`
      grant insert, update on public.credit_tiers to credits_service;
      grant update (credits) on public.user_credits to authenticated;
      grant all on monitoring.thresholds to public;
      grant truncate on public.credit_transactions to credits_analyst;
      grant select on public.credit_tiers, monitoring.summary to anon`);
    expect(await foreignWrites(db.sql)).not.toEqual([]);
    await migrateUp({ databaseUrl: db.url });
    expect(await foreignWrites(db.sql)).toEqual([]);
    // reads the contract grants are kept
    expect((await as(db.sql, 'credits_service', 'select count(*) from public.credit_tiers')).code).toBeUndefined();
  });

  it('hold on the template every test starts from', async () => {
    const db = await database();
    expect(await foreignWrites(db.sql)).toEqual([]);
  });
});

describe("the installer's default privileges", () => {
  it('leave a function the installer creates later in another schema executable by PUBLIC', async () => {
    const db = await database();
    await db.sql.unsafe(`
      create schema app;
      grant usage on schema app to authenticated;
      create function app.is_admin() returns boolean language sql stable as 'select false';`);
    expect(await as(db.sql, 'authenticated', 'select app.is_admin() as admin')).toEqual({ rows: [{ admin: false }] });
  });
});

/** What a Supabase project grants before the package arrives. */
const supabaseDefaults = `
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;`;

describe('on Supabase: anon, authenticated, service_role NOINHERIT BYPASSRLS, and its default privileges in public', () => {
  it('closes a table that a later migration adds in public, in the same deploy', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'credits-privileges-'));
    try {
      for (const dir of ['migrations', 'functions', 'views'])
        await cp(path.join(packageRoot, dir), path.join(root, dir), { recursive: true });
      await writeFile(
        path.join(root, 'migrations', '9999_later_table.sql'),
        '-- Up Migration\ncreate table public.credit_later (id integer primary key);\n-- Down Migration\ndrop table public.credit_later;\n',
      );
      const db = await database({ empty: true });
      await ensureSupabaseRoles(db.sql);
      await db.sql.unsafe(supabaseDefaults);
      await migrateUp({ databaseUrl: db.url, root });
      const held = await db.sql`select a.grantee::regrole::text grantee, a.privilege_type
                                  from pg_class c, aclexplode(c.relacl) a
                                 where c.oid = 'public.credit_later'::regclass and a.grantee <> c.relowner order by 1, 2`;
      expect(held.map((r) => `${r.grantee} ${r.privilege_type}`)).toEqual(['authenticated SELECT', 'service_role SELECT']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('service_role calls the functions but cannot rewrite the ledger; anon gets nothing; end users read their own rows', async () => {
    const db = await database({ empty: true });
    await ensureSupabaseRoles(db.sql);
    await db.sql.unsafe(supabaseDefaults);
    await migrateUp({ databaseUrl: db.url });
    expect(await foreignWrites(db.sql)).toEqual([]);

    const alice = randomUUID();
    const bob = randomUUID();
    const service = (statement: string) => as(db.sql, 'service_role', statement);
    for (const user of [alice, bob]) {
      expect((await service(`select * from ensure_credit_account('${user}', 'basic')`)).code).toBeUndefined();
    }
    const started = await service(`select task_id from start_generation('${alice}', 'enhance', 'wavespeed', 'm', 5)`);
    expect(started.code).toBeUndefined();
    const task = started.rows![0]!.task_id as string;
    for (const call of [
      `select * from mark_generation_submitted('${task}', 'job-1')`,
      `select * from complete_generation('${task}', 0.01)`,
      `select * from grant_credits('${bob}', 7, 'welcome', 'k1')`,
      `select * from get_credit_balance('${bob}')`,
      `select * from expire_stale_generations()`,
      `select * from backfill_missing_refunds()`,
      `select * from verify_ledger()`,
      `select admin_credit_stats()`,
      `select * from monitoring.refresh_rollups()`,
      `select count(*) from public.credit_transactions`,
    ]) {
      expect({ call, ...(await service(call)) }).not.toHaveProperty('code');
    }
    expect((await service('select count(distinct user_id)::int n from public.user_credits')).rows).toEqual([{ n: 2 }]);
    // Procedures too (expire_stale_generations_in_batches is CALLed outside a transaction, so checked by privilege).
    const notMirrored = await db.sql`
      select p.oid::regprocedure::text as routine from pg_proc p, aclexplode(p.proacl) a
       where a.grantee = 'credits_service'::regrole and a.privilege_type = 'EXECUTE'
         and not has_function_privilege('service_role', p.oid, 'execute')`;
    expect(notMirrored).toEqual([]);
    expect(
      (await db.sql`select count(*)::int n from pg_proc where prokind = 'p' and has_function_privilege('service_role', oid, 'execute')`)[0]!
        .n,
    ).toBeGreaterThan(0);
    for (const write of [
      'delete from public.credit_transactions',
      "update public.credit_tiers set monthly_allowance = 1000000 where tier = 'free'",
      `update public.user_credits set credits = credits + 1 where user_id = '${alice}'`,
      `insert into public.credit_transactions (user_id, amount, type) values ('${alice}', 5, 'purchase')`,
      'truncate public.user_credits',
      'truncate public.credit_transactions',
      'truncate public.enhancement_tasks',
      'truncate public.credit_tiers',
      'truncate public.provider_prices',
      "update monitoring.thresholds set value = 0 where name = 'success_rate_min'",
    ]) {
      expect({ write, ...(await service(write)) }).toEqual({ write, code: '42501' });
    }

    for (const statement of [
      'select * from public.user_credits',
      'select * from public.credit_transactions',
      'select * from public.enhancement_tasks',
      'select * from public.credit_tiers',
      'select * from public.my_generations',
      'select * from public.my_credit_transactions',
      'select * from my_credit_balance()',
      `select * from start_generation('${alice}', 'enhance', 'wavespeed', 'm', 1)`,
      `select * from grant_credits('${alice}', 1, 'x', 'k')`,
      'select * from verify_ledger()',
      'select * from monitoring.refresh_rollups()',
    ]) {
      expect({ statement, ...(await as(db.sql, 'anon', statement)) }).toEqual({ statement, code: '42501' });
    }

    const asAlice = (statement: string) => as(db.sql, 'authenticated', statement, alice);
    expect((await asAlice('select array_agg(distinct user_id::text) users from public.user_credits')).rows).toEqual([{ users: [alice] }]);
    expect((await asAlice('select array_agg(distinct user_id::text) users from public.credit_transactions')).rows).toEqual([
      { users: [alice] },
    ]);
    expect((await asAlice('select array_agg(distinct user_id::text) users from public.my_generations')).rows).toEqual([{ users: [alice] }]);
    expect((await asAlice('select count(*)::int n from public.my_credit_transactions')).rows).toEqual([{ n: 2 }]);
    expect((await asAlice('select provider_cost_usd from public.enhancement_tasks')).code).toBe('42501');
    expect((await asAlice('select total_credits from my_credit_balance()')).rows).toEqual([{ total_credits: '95' }]);
    expect((await asAlice(`update public.user_credits set credits = 1000 where user_id = '${alice}'`)).code).toBe('42501');
    expect((await asAlice(`select * from start_generation('${alice}', 'enhance', 'wavespeed', 'm', 1)`)).code).toBe('42501');
  });
});
