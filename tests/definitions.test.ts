// The repeatable definitions: a function or view file is applied again exactly when its text
// changes; signature changes, removals and view dependencies are handled; grants survive.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationFiles, migrationStatus } from '../src/migrate/index.js';
import { loadDefinitions } from '../src/migrate/definitions.js';
import { packageRoot } from '../src/paths.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

let db: TestDatabase;
let root: string;
const file = (name: string) => path.join(root, name);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'credits-definitions-'));
  for (const dir of ['migrations', 'functions', 'views'])
    await cp(path.join(packageRoot, dir), file(dir), { recursive: true }).catch(() => {});
  db = await createTestDatabase({ empty: true, max: 2 });
  await migrateUp({ databaseUrl: db.url, root });
  await db.sql`create schema if not exists scratch`;
});
afterAll(async () => {
  await db.drop();
  await rm(root, { recursive: true, force: true });
});

/** Every function's and view's identity and row version: what a recreation or a replace changes. */
const versions = (sql: postgres.Sql) =>
  sql`select p.oid::regprocedure::text as object, p.oid::int, p.xmin::text from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private')
      union all
      select c.oid::regclass::text, c.oid::int, r.xmin::text from pg_class c join pg_rewrite r on r.ev_class = c.oid
        join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'v' and n.nspname in ('public', 'credits_private', 'monitoring')
      order by 1`;

const signatures = (name: string) =>
  db.sql`select p.oid::regprocedure::text s from pg_proc p where p.proname = ${name} order by 1`.then((r) => r.map((x) => x.s));
const changed = async () => (await migrationStatus({ databaseUrl: db.url, root })).definitions.changed.map((d) => d.name);

const echo = (args: string, result = 'integer') => `
create or replace function public.demo_echo(${args}) returns ${result}
language sql immutable set search_path to pg_catalog, pg_temp as $$ select 1 $$;
revoke all on function public.demo_echo(${args}) from public;
grant execute on function public.demo_echo(${args}) to credits_service;
`;

describe('repeatable definitions', () => {
  it('apply nothing when nothing changed', async () => {
    expect(await changed()).toEqual([]);
    const result = await migrateUp({ databaseUrl: db.url, root });
    expect(result.definitions?.changed).toEqual([]);
  });

  it('re-apply exactly the file whose text changed, keeping grants', async () => {
    const f = file('functions/public/get_credit_balance.sql');
    await writeFile(f, (await readFile(f, 'utf8')).replace("'Total, monthly", "'Changed: total, monthly"));
    expect(await changed()).toEqual(['functions/public/get_credit_balance.sql']);
    await migrateUp({ databaseUrl: db.url, root });
    const [row] = await db.sql`select obj_description('public.get_credit_balance(uuid)'::regprocedure) c,
                                      has_function_privilege('credits_service', 'public.get_credit_balance(uuid)', 'execute') g`;
    expect(row).toEqual({ c: expect.stringMatching(/^Changed/), g: true });
    expect(await changed()).toEqual([]);
  });

  it('replace a function whose signature or result type changed, leaving no stale overload', async () => {
    await writeFile(file('functions/demo_echo.sql'), echo('p_a integer'));
    await migrateUp({ databaseUrl: db.url, root });
    expect(await signatures('demo_echo')).toEqual(['demo_echo(integer)']);
    await writeFile(file('functions/demo_echo.sql'), echo('p_a integer, p_b integer'));
    await migrateUp({ databaseUrl: db.url, root });
    expect(await signatures('demo_echo')).toEqual(['demo_echo(integer,integer)']);
    await writeFile(file('functions/demo_echo.sql'), echo('p_a integer, p_b integer', 'bigint'));
    await migrateUp({ databaseUrl: db.url, root });
    const [r] = await db.sql`select pg_get_function_result('public.demo_echo(integer,integer)'::regprocedure) t`;
    expect(r!.t).toBe('bigint');
  });

  it('drop a function whose file was removed', async () => {
    await rm(file('functions/demo_echo.sql'));
    expect((await migrationStatus({ databaseUrl: db.url, root })).definitions.removed).toEqual([
      { name: 'functions/demo_echo.sql', kind: 'function', schema: 'public', object: 'demo_echo' },
    ]);
    await migrateUp({ databaseUrl: db.url, root });
    expect(await signatures('demo_echo')).toEqual([]);
  });

  it('move a file to another folder applying nothing: an object is known by its schema and name', async () => {
    const before = await versions(db.sql);
    await mkdir(file('functions/public/moved'), { recursive: true });
    await cp(file('functions/public/get_credit_balance.sql'), file('functions/public/moved/get_credit_balance.sql'));
    await rm(file('functions/public/get_credit_balance.sql'));
    const status = await migrationStatus({ databaseUrl: db.url, root });
    expect({ changed: status.definitions.changed, removed: status.definitions.removed }).toEqual({ changed: [], removed: [] });
    await migrateUp({ databaseUrl: db.url, root });
    expect(await versions(db.sql)).toEqual(before);
    const [row] = await db.sql`select name from credits_meta.definitions where object = 'get_credit_balance'`;
    expect(row).toEqual({ name: 'functions/public/moved/get_credit_balance.sql' });
  });

  it('drop what a database deployed before objects were recorded still holds, by its old path', async () => {
    await writeFile(file('functions/demo_echo.sql'), echo('p_a integer'));
    await migrateUp({ databaseUrl: db.url, root });
    await db.sql`update credits_meta.definitions set schema = null, object = null`;
    await rm(file('functions/demo_echo.sql'));
    await migrateUp({ databaseUrl: db.url, root });
    expect(await signatures('demo_echo')).toEqual([]);
    expect(await db.sql`select count(*)::int n from credits_meta.definitions where schema is null`).toEqual([{ n: 0 }]);
  });

  it('refuse a file not named after the object it creates, applying nothing', async () => {
    await writeFile(file('functions/demo_misnamed.sql'), echo('p_a integer'));
    await expect(migrateUp({ databaseUrl: db.url, root })).rejects.toThrow(
      'functions/demo_misnamed.sql defines public.demo_echo: name the file after its object',
    );
    await rm(file('functions/demo_misnamed.sql'));
    expect(await signatures('demo_echo')).toEqual([]);
  });

  it('create views in dependency order and recreate them when one changes its columns', async () => {
    await mkdir(file('views/scratch'), { recursive: true });
    await writeFile(
      file('views/scratch/a_top.sql'),
      'create or replace view scratch.a_top as select n * 2 as doubled from scratch.b_base;',
    );
    await writeFile(file('views/scratch/b_base.sql'), 'create or replace view scratch.b_base as select 21 as n;');
    await migrateUp({ databaseUrl: db.url, root });
    expect(await db.sql`select doubled from scratch.a_top`).toEqual([{ doubled: 42 }]);
    await writeFile(file('views/scratch/b_base.sql'), "create or replace view scratch.b_base as select 'x' as label, 5 as n;");
    await migrateUp({ databaseUrl: db.url, root });
    expect(await db.sql`select doubled from scratch.a_top`).toEqual([{ doubled: 10 }]);
  });

  it('let two deploys run at once: one waits for the other', async () => {
    await writeFile(file('functions/demo_echo.sql'), echo('p_a integer'));
    const results = await Promise.all([migrateUp({ databaseUrl: db.url, root }), migrateUp({ databaseUrl: db.url, root })]);
    expect(results.map((r) => r.definitions?.changed.length).sort()).toEqual([0, 1]);
  });
});

/**
 * The release before issue 24, as its deploy saw it: the same texts in folders by subsystem
 * (functions/ledger/, functions/ledger/private/, ...), and no row checks among the definitions
 * (migrations 0006 to 0023 created them).
 */
async function previousRelease(): Promise<string> {
  const previous = await mkdtemp(path.join(tmpdir(), 'credits-previous-'));
  await cp(path.join(packageRoot, 'migrations'), path.join(previous, 'migrations'), { recursive: true });
  const folder: Record<string, string> = {
    public: 'ledger',
    credits_private: 'ledger/private',
    monitoring: 'monitoring',
    monitoring_private: 'monitoring/private',
  };
  for (const d of await loadDefinitions(packageRoot)) {
    if (d.object.endsWith('_is_valid')) continue;
    const target = path.join(previous, `${d.kind}s`, folder[d.schema]!, `${d.object}.sql`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, d.sql);
  }
  return previous;
}

describe('a database deployed by the previous release', () => {
  it('is upgraded recreating nothing, then goes down to 0005 and up again, its row checks kept by the constraints', async () => {
    const previous = await previousRelease();
    const upgraded = await createTestDatabase({ empty: true, max: 2 });
    try {
      // Supabase's service_role, which every deploy grants what credits_service holds: other test
      // files create it (roles are the cluster's), and one created between the two deploys would
      // have the second grant it every function, a change of privileges, not of definitions.
      await upgraded.sql.unsafe(`do $$ begin create role service_role nologin noinherit bypassrls;
                                   exception when duplicate_object or unique_violation then null; end $$`);
      await migrateUp({ databaseUrl: upgraded.url, root: previous });
      const before = await versions(upgraded.sql);

      // The one row check whose rule changed since that release (issue 26: the origin
      // 'settlement') is replaced; nothing else is recreated.
      const edited = ['functions/credits_private/credit_transaction_is_valid.sql'];
      const unchanged = (rows: Awaited<ReturnType<typeof versions>>) =>
        rows.filter((r) => !String(r.object).startsWith('credits_private.credit_transaction_is_valid('));
      const status = await migrationStatus({ databaseUrl: upgraded.url });
      expect({ changed: status.definitions.changed.map((d) => d.name), removed: status.definitions.removed }).toEqual({
        changed: edited,
        removed: [],
      });
      const result = await migrateUp({ databaseUrl: upgraded.url });
      expect(result.definitions?.changed.map((d) => d.name)).toEqual(edited);
      expect(unchanged(await versions(upgraded.sql))).toEqual(unchanged(before));
      const recorded = await upgraded.sql`select name from credits_meta.definitions where object like '%_is_valid' order by 1`;
      expect(recorded.map((r) => r.name)).toEqual([
        'functions/credits_private/credit_account_is_valid.sql',
        'functions/credits_private/credit_transaction_is_valid.sql',
        'functions/credits_private/enhancement_task_is_valid.sql',
      ]);

      const toBefore0006 = (await migrationFiles()).length - 5;
      await migrateDown({ databaseUrl: upgraded.url, count: toBefore0006 });
      expect((await migrationStatus({ databaseUrl: upgraded.url })).applied.at(-1)).toBe('0005_monitoring_rollups');
      expect(
        await upgraded.sql`select count(*)::int n from pg_proc where pronamespace = 'credits_private'::regnamespace and proname like '%_is_valid'`,
      ).toEqual([{ n: 0 }]);
      await migrateUp({ databaseUrl: upgraded.url });
      const again = await migrationStatus({ databaseUrl: upgraded.url });
      expect({ pending: again.pending, changed: again.definitions.changed }).toEqual({ pending: [], changed: [] });
      await expect(
        upgraded.sql`insert into public.user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), 5, 1, 1)`,
      ).rejects.toThrow(/user_credits row refused: credits 5 must equal/);
    } finally {
      await upgraded.drop();
      await rm(previous, { recursive: true, force: true });
    }
  });

  it('applies a changed row check to the rows written next, and never drops one a constraint calls', async () => {
    const f = file('functions/credits_private/credit_transaction_is_valid.sql');
    const original = await readFile(f, 'utf8');
    await writeFile(f, original.replace("'sweeper', 'adoption'", "'sweeper', 'scripted', 'adoption'"));
    const write = () =>
      db.sql`insert into public.credit_transactions (user_id, amount, type, origin) values (gen_random_uuid(), 1, 'adjustment', 'scripted')`;
    await expect(write()).rejects.toThrow(/origin must be legacy, rpc, sweeper, adoption, backfill or settlement, not 'scripted'/);
    await migrateUp({ databaseUrl: db.url, root });
    await write();
    await rm(f);
    await expect(migrateUp({ databaseUrl: db.url, root })).rejects.toMatchObject({ code: '2BP01' });
    await writeFile(f, original);
    expect((await migrateUp({ databaseUrl: db.url, root })).definitions?.changed.map((d) => d.name)).toEqual([
      'functions/credits_private/credit_transaction_is_valid.sql',
    ]);
  });
});
