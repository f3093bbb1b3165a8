// The repeatable definitions: a function or view file is applied again exactly when its text
// changes; signature changes, removals and view dependencies are handled; grants survive.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp, migrationStatus } from '../src/migrate/index.js';
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
    const f = file('functions/ledger/get_credit_balance.sql');
    await writeFile(f, (await readFile(f, 'utf8')).replace("'Total, monthly", "'Changed: total, monthly"));
    expect(await changed()).toEqual(['functions/ledger/get_credit_balance.sql']);
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

  it('move a file to another folder without losing the object or its grants', async () => {
    await mkdir(file('functions/ledger/moved'), { recursive: true });
    await cp(file('functions/ledger/get_credit_balance.sql'), file('functions/ledger/moved/get_credit_balance.sql'));
    await rm(file('functions/ledger/get_credit_balance.sql'));
    const status = await migrationStatus({ databaseUrl: db.url, root });
    expect(status.definitions.removed.map((r) => r.name)).toEqual(['functions/ledger/get_credit_balance.sql']);
    await migrateUp({ databaseUrl: db.url, root });
    const [row] = await db.sql`select has_function_privilege('credits_service', 'public.get_credit_balance(uuid)', 'execute') g`;
    expect(row).toEqual({ g: true });
    expect(await changed()).toEqual([]);
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
