// The deploy's pre-flight (src/migrate/conflicts.ts): on a database holding objects of the
// package's names that are someone else's, `migrate up` names every one with what to do and
// writes nothing (no schema, role, table, function, not even the migrations table); on an empty,
// a legacy-to-adopt or an up-to-date database it lets the deploy go as before.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLegacyFixture } from '../tools/seeds/legacy-fixture.js';
import { findConflicts, packageRoles, replayedObjects } from '../src/migrate/conflicts.js';
import { loadDefinitions } from '../src/migrate/definitions.js';
import {
  adoptBaseline,
  baselineMigration,
  type Conflict,
  DeployConflictError,
  migrateUp,
  migrationFiles,
  migrationStatus,
  migrationUpSection,
} from '../src/migrate/index.js';
import { readMigration } from '../src/migrate/migration-objects.js';
import { packageRoot } from '../src/paths.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations, type Sql } from './helpers/ledger.js';

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.drop()));
});
async function database(options: { empty?: boolean } = {}) {
  const db = await createTestDatabase({ max: 2, ...options });
  opened.push(db);
  return db;
}

/**
 * What a deploy could write, as names: schemas, relations, functions, types of the database,
 * and the package's roles with their attributes. Roles are cluster-wide and other test files
 * run meanwhile (the template's deploy created the package's roles already): only the
 * package's are compared, and they exist before as after.
 */
async function snapshot(sql: Sql) {
  const [s] = await sql`
    select (select array_agg(nspname::text order by nspname) from pg_namespace) as schemas,
           (select array_agg(c.oid::regclass::text order by 1) from pg_class c
             where c.relnamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)) as relations,
           (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
             where p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)) as functions,
           (select array_agg(t.oid::regtype::text order by 1) from pg_type t
             where t.typnamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)) as types,
           (select array_agg(row(rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls)::text order by rolname) from pg_roles
             where rolname = any(${packageRoles.map((r) => r.name)})) as roles`;
  return s!;
}

/** Runs `migrate up`, expecting a refusal; returns its conflicts after checking nothing was written. */
async function refused(db: TestDatabase): Promise<Conflict[]> {
  const before = await snapshot(db.sql);
  const error = await migrateUp({ databaseUrl: db.url }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeployConflictError);
  expect(await snapshot(db.sql)).toEqual(before);
  return (error as DeployConflictError).conflicts;
}

const named = (conflicts: Conflict[]) => conflicts.map((c) => c.object);

describe('the pre-flight refuses, naming every object in the way, and writes nothing', () => {
  it("an app's own user_credits: rename yours and import", async () => {
    const db = await database({ empty: true });
    await db.sql`create table public.user_credits (user_id uuid primary key, balance integer)`;
    const conflicts = await refused(db);
    const [after] = await db.sql`select to_regnamespace('credits_meta') as meta, to_regnamespace('credits_private') as private`;
    expect(after).toEqual({ meta: null, private: null }); // not even node-pg-migrate's schema and table
    expect(conflicts).toEqual([
      {
        object: 'table public.user_credits',
        createdBy: baselineMigration,
        found: 'a table of yours (user_id uuid, balance integer)',
        advice: expect.stringMatching(
          /^rename yours and import its balances: `alter table public\.user_credits rename to app_user_credits;`, then `credits migrate up`, then `credits import .*--from-sql .*from app_user_credits.*\(also its primary key's index, which keeps its name: `alter index public\.user_credits_pkey rename to app_user_credits_pkey;`\)$/,
        ),
      },
    ]);
    // adopt is not the way for it: the legacy shape is not there
    await expect(adoptBaseline({ databaseUrl: db.url })).rejects.toMatchObject({
      message: 'not a legacy database: missing credit_transactions, enhancement_tasks',
      hint: expect.stringContaining('credits migrate up'),
    });
    // The advice followed: the package's tables come in beside the app's, under their own names.
    await db.sql.unsafe(
      conflicts[0]!.advice
        .match(/`(alter [^`]+)`/g)!
        .map((s) => s.slice(1, -1))
        .join('\n'),
    );
    await migrateUp({ databaseUrl: db.url });
    expect(
      await db.sql`select conname::text from pg_constraint where conrelid = 'public.user_credits'::regclass and contype = 'p'`,
    ).toEqual([{ conname: 'user_credits_pkey' }]);
  });

  it('migrate adopt refuses tables of the legacy names and another shape, naming what they lack', async () => {
    const db = await database({ empty: true });
    await db.sql.unsafe(await migrationUpSection(baselineMigration));
    await db.sql`alter table public.user_credits drop column credits_used_this_month`;
    await db.sql`alter table public.credit_transactions alter column amount type numeric`;
    const before = await snapshot(db.sql);
    await expect(adoptBaseline({ databaseUrl: db.url })).rejects.toThrow(
      'not a legacy database (contract §1): public.user_credits lacks credits_used_this_month integer; public.credit_transactions lacks amount integer',
    );
    expect(await snapshot(db.sql)).toEqual(before);
    const conflicts = await refused(db); // and migrate up, to rename them
    expect(named(conflicts)).toEqual([
      'table public.user_credits',
      'table public.credit_transactions',
      'table public.enhancement_tasks',
      'table public.credit_pools',
      'table public.credit_purchase_requests',
      'function public.consume_platform_credits',
    ]);
  });

  it("an app's own credit_transactions", async () => {
    const db = await database({ empty: true });
    await db.sql`create table public.credit_transactions (id bigserial primary key, user_id uuid, delta integer, at timestamptz)`;
    const [conflict, ...others] = await refused(db);
    expect(others).toEqual([]);
    expect(conflict).toMatchObject({ object: 'table public.credit_transactions', createdBy: baselineMigration });
    expect(conflict!.found).toBe('a table of yours (id bigint, user_id uuid, delta integer, at timestamp with time zone)');
    expect(conflict!.advice).toContain('alter table public.credit_transactions rename to app_credit_transactions;');
    expect(conflict!.advice).toMatch(/credits import .*sum\(.*from app_credit_transactions group by user_id/);
  });

  it('a function of one of our names that the package did not create', async () => {
    const db = await database({ empty: true });
    await db.sql`create function public.get_credit_balance(uuid) returns int language sql as 'select 1'`;
    expect(await refused(db)).toEqual([
      {
        object: 'function public.get_credit_balance',
        createdBy: 'functions/public/get_credit_balance.sql',
        found: 'yours, which the package would replace or overload: public.get_credit_balance(uuid)',
        advice: 'rename yours: `alter function public.get_credit_balance(uuid) rename to app_get_credit_balance;`',
      },
    ]);
  });

  it('several at once: every one named, in the order the deploy would meet them', async () => {
    const db = await database({ empty: true });
    await db.sql.unsafe(`
      create table public.user_credits (user_id uuid primary key, balance integer);
      create table public.credit_tiers (name text primary key, allowance int);
      create type public.credit_balance as enum ('low', 'high');
      create schema monitoring;
      create table monitoring.thresholds (x int); -- inside a schema in the way: not named again
      create schema archive;
      create function public.credit_history(uuid) returns setof int language sql as 'select 1';
      create function public.credit_history(uuid, int) returns setof int language sql as 'select 1';
      create view public.my_generations as select 1 as id;
      create schema credits_meta;
      create table credits_meta.settings (k text);`);
    const conflicts = await refused(db);
    expect(named(conflicts)).toEqual([
      'schema credits_meta',
      'table public.user_credits',
      'table public.credit_tiers',
      'schema archive',
      'schema monitoring',
      'type public.credit_balance',
      'function public.credit_history',
      'view public.my_generations',
    ]);
    const by = (object: string) => conflicts.find((c) => c.object === object)!;
    expect(by('table public.credit_tiers').advice).toMatch(
      /alter table public\.credit_tiers rename to app_credit_tiers;.*insert into public\.credit_tiers/,
    );
    expect(by('schema monitoring')).toMatchObject({
      createdBy: '0004_monitoring_schema',
      advice: 'rename yours: `alter schema monitoring rename to app_monitoring;`',
    });
    expect(by('type public.credit_balance')).toMatchObject({ createdBy: '0018_credit_balance_type', found: 'a type of yours' });
    expect(by('type public.credit_balance').advice).toBe('rename yours: `alter type public.credit_balance rename to app_credit_balance;`');
    expect(by('function public.credit_history').advice).toBe(
      'rename yours: `alter function public.credit_history(uuid) rename to app_credit_history;` `alter function public.credit_history(uuid, integer) rename to app_credit_history;`',
    );
    expect(by('view public.my_generations')).toMatchObject({
      createdBy: 'views/public/my_generations.sql',
      found: 'a view of yours (id integer)',
    });
    expect(by('schema credits_meta').found).toContain('credits_meta.settings');

    // Through the command line: exit 1, the list on stderr.
    const cli = await runCli(['migrate', 'up'], { DATABASE_URL: db.url });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('the database holds 8 objects in the way of the credits ledger: nothing was written');
    for (const c of conflicts) {
      expect(cli.stderr).toContain(`${c.object} (${c.createdBy}): ${c.found}`);
      expect(cli.stderr).toContain(`→ ${c.advice}`);
    }
    expect(cli.stdout).toBe('');
  });

  it('on a database already managed: what a pending migration or a new definition would take', async () => {
    const db = await database({ empty: true });
    const all = await migrationFiles();
    const at = all.indexOf('0017_sweeper_origin') + 1;
    await migrateUp({ databaseUrl: db.url, count: at });
    // The app made its own credit_balance type and a column 0019 adds, while at 0017.
    await db.sql`create type public.credit_balance as (total integer)`;
    await db.sql`alter table public.user_credits add column pending_tier text`;
    const conflicts = await refused(db);
    expect(conflicts.map((c) => [c.object, c.createdBy])).toEqual([
      ['type public.credit_balance', '0018_credit_balance_type'],
      ['column public.user_credits.pending_tier', '0019_tier_changes'],
    ]);
    expect(conflicts[1]!.advice).toBe('rename yours: `alter table public.user_credits rename column pending_tier to app_pending_tier;`');
    expect((await migrationStatus({ databaseUrl: db.url })).applied).toHaveLength(at);

    // Up to date, then a release brings a function the app already had: an app's own
    // public.credit_history, made before the upgrade (the release before it: no such definition).
    const current = await database();
    await current.sql.unsafe(`
      drop function public.my_credit_history, public.credit_history;
      delete from credits_meta.definitions where object in ('credit_history', 'my_credit_history');
      create function public.credit_history(p_user uuid) returns setof int language sql as 'select 1';`);
    expect(await refused(current)).toEqual([
      {
        object: 'function public.credit_history',
        createdBy: 'functions/public/credit_history.sql',
        found: 'yours, which the package would replace or overload: public.credit_history(uuid)',
        advice: 'rename yours: `alter function public.credit_history(uuid) rename to app_credit_history;`',
      },
    ]);
  });

  it('a legacy database (contract §1) created outside the tool: run migrate adopt', async () => {
    const db = await database({ empty: true });
    await db.sql.unsafe(await migrationUpSection(baselineMigration));
    await loadLegacyFixture(db.sql, 50);
    await db.sql`create table public.provider_prices (provider text, price numeric)`; // and one of the app's own
    const conflicts = await refused(db);
    expect(conflicts).toEqual([
      {
        object: 'public.user_credits, public.credit_transactions, public.enhancement_tasks',
        createdBy: baselineMigration,
        found: 'the legacy schema the package adopts (contract §1)',
        advice: 'run `credits migrate adopt` (it records 0001_legacy_baseline as applied and runs nothing), then `credits migrate up`',
      },
      expect.objectContaining({ object: 'table public.provider_prices', createdBy: '0002_credits_ledger' }),
    ]);
    await db.sql`alter table public.provider_prices rename to app_provider_prices`;
    await adoptBaseline({ databaseUrl: db.url });
    await migrateUp({ databaseUrl: db.url });
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('a legacy table whose columns the package would add already, and one of the legacy shape alone', async () => {
    const db = await database({ empty: true });
    await db.sql.unsafe(await migrationUpSection(baselineMigration));
    await db.sql`alter table public.user_credits add column monthly_credits integer`;
    const conflicts = await refused(db);
    expect(named(conflicts)).toEqual([
      'public.user_credits, public.credit_transactions, public.enhancement_tasks',
      'column public.user_credits.monthly_credits',
    ]);

    const half = await database({ empty: true });
    await half.sql.unsafe((await migrationUpSection(baselineMigration)).split('create table public.credit_transactions')[0]!);
    const [alone] = await refused(half);
    expect(alone).toMatchObject({ object: 'table public.user_credits' });
    expect(alone!.found).toMatch(/legacy shape \(contract §1\), but public\.credit_transactions, public\.enhancement_tasks are missing/);
  });

  it("roles that would let their members past the package's rules", async () => {
    const db = await database({ empty: true });
    const suffix = randomBytes(4).toString('hex');
    const [service, user, fine] = [`pf_service_${suffix}`, `pf_user_${suffix}`, `pf_login_${suffix}`];
    await db.sql.unsafe(
      `create role ${service} superuser nologin; create role ${user} bypassrls; create role ${fine} login noinherit bypassrls`,
    );
    try {
      const conflicts = await findConflicts(await pgClient(db), {
        migrations: await sources(),
        applied: [],
        definitions: await loadDefinitions(packageRoot),
        roles: [
          { name: service, endUser: false },
          { name: user, endUser: true },
          { name: fine, endUser: false }, // LOGIN, NOINHERIT, BYPASSRLS: nothing the package relies on
        ],
      });
      expect(conflicts).toEqual([
        expect.objectContaining({
          object: `role ${service}`,
          advice: `\`alter role ${service} nosuperuser;\` (or use another role for what needs it)`,
        }),
        expect.objectContaining({ object: `role ${user}`, found: expect.stringContaining('BYPASSRLS: row-level security would not hold') }),
      ]);
    } finally {
      await db.sql.unsafe(`drop role ${service}; drop role ${user}; drop role ${fine}`);
    }
  });
});

const sources = async () => Promise.all((await migrationFiles()).map(async (name) => ({ name, sql: await migrationUpSection(name) })));

const clients: { end(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end()));
});
async function pgClient(db: TestDatabase) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  clients.push(client);
  return client;
}

describe('the pre-flight lets a deploy go', () => {
  it('on an empty database, one migration at a time: the path of today, nothing flagged on the way', async () => {
    const db = await database({ empty: true });
    const all = await migrationFiles();
    for (let i = 0; i < all.length; i++) {
      expect((await migrateUp({ databaseUrl: db.url, count: 1 })).migrations).toEqual([all[i]]);
    }
    expect((await migrationStatus({ databaseUrl: db.url })).definitions.changed).toEqual([]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('on an up-to-date database: nothing flagged, nothing to do', async () => {
    const db = await database();
    const client = await pgClient(db);
    const input = { migrations: await sources(), applied: await migrationFiles(), definitions: await loadDefinitions(packageRoot) };
    expect(await findConflicts(client, input)).toEqual([]);
    expect(await migrateUp({ databaseUrl: db.url })).toEqual({ migrations: [], definitions: expect.objectContaining({ changed: [] }) });
  });
});

describe('reading the migrations', () => {
  it('replayed from nothing, gives exactly the objects of a migrated database', async () => {
    const db = await database();
    const read = (await sources()).map((m) => readMigration(m.sql));
    expect(read.flatMap((r) => r.unread)).toEqual([]);
    const replayed = replayedObjects(read.map((r) => r.operations));
    const definitions = await loadDefinitions(packageRoot);
    for (const d of definitions) replayed.add(`${d.kind === 'function' ? 'function' : 'relation'} ${d.schema}.${d.object}`);
    // The package's schemas and public, less what extensions own, credits_meta (the deploy's
    // own bookkeeping), and the names PostgreSQL chooses itself: a constraint's index named by
    // it, a serial's sequence.
    const catalog = await db.sql<{ key: string; implicit: boolean }[]>`
      with ns as (select oid, nspname from pg_namespace
                   where nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private', 'archive')),
           ext as (select objid from pg_depend where deptype = 'e')
      select 'schema ' || nspname as key, false as implicit from ns where nspname <> 'public'
      union all
      select 'relation ' || ns.nspname || '.' || c.relname,
             exists (select 1 from pg_constraint k where k.conindid = c.oid)
               or exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i') and c.relkind = 'S')
        from pg_class c join ns on ns.oid = c.relnamespace
       where c.oid not in (select objid from ext) and c.relkind <> 't'
      union all
      select 'relation ' || ns.nspname || '.' || t.typname, false from pg_type t join ns on ns.oid = t.typnamespace
       where t.typtype in ('e', 'd')
      union all
      select 'column ' || ns.nspname || '.' || c.relname || '.' || a.attname, false
        from pg_attribute a join pg_class c on c.oid = a.attrelid join ns on ns.oid = c.relnamespace
       where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'c') and c.oid not in (select objid from ext)
      union all
      select 'function ' || ns.nspname || '.' || p.proname, false from pg_proc p join ns on ns.oid = p.pronamespace
       where p.oid not in (select objid from ext)`;
    const fromCatalog = new Set(catalog.map((r) => r.key));
    for (const key of [
      'relation archive.credit_pools',
      'column public.user_credits.promotional_credits',
      'relation public.provider_prices_pkey',
    ]) {
      expect(replayed.has(key) && fromCatalog.has(key), key).toBe(true);
    }
    expect(replayed.has('function public.consume_platform_credits')).toBe(false); // 0003 archives it
    const implicit = new Set(catalog.filter((r) => r.implicit).map((r) => r.key));
    const notRead = [...fromCatalog].filter((k) => !replayed.has(k) && !implicit.has(k));
    expect(notRead.sort(), 'in a migrated database, not read from the migrations').toEqual([]);
    expect([...replayed].filter((k) => !fromCatalog.has(k)).sort(), 'read from the migrations, not in a migrated database').toEqual([]);
  });
});
