// Repeatable definitions: functions/ and views/ are the source of truth for every function and
// view of the package. Each file defines one object, named like the file and qualified by its
// schema in the file's CREATE (the folder is named after that schema), and is re-applied when
// its text changes, the way Flyway applies R__ files: a SHA-256 per object is kept in
// credits_meta.definitions, and a deploy applies only what differs, in one transaction. An
// object is known by its schema and name, not its file: a file moved unchanged applies nothing.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientBase } from 'pg';
import type { Definition, DefinitionKind, DefinitionPlan } from './plan.js';

export type { Definition, DefinitionKind, DefinitionPlan, Located } from './plan.js';

interface Recorded {
  name: string;
  kind: DefinitionKind;
  schema: string;
  object: string;
  sha256: string;
}

const ensureMetaTable = `
  create schema if not exists credits_meta;
  revoke all on schema credits_meta from public;
  create table if not exists credits_meta.definitions (
    name text primary key,
    kind text not null check (kind in ('function', 'view')),
    sha256 text not null,
    applied_at timestamptz not null default now()
  );
  alter table credits_meta.definitions add column if not exists schema text, add column if not exists object text;`;

async function sqlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Reads every .sql file under functions/, then under views/. */
export async function loadDefinitions(root: string): Promise<Definition[]> {
  const load = async (kind: DefinitionKind, folder: string): Promise<Definition[]> => {
    const files = await sqlFiles(path.join(root, folder));
    return Promise.all(
      files.map(async (file) => {
        const name = path.relative(root, file).split(path.sep).join('/');
        const sql = await readFile(file, 'utf8');
        const sha256 = createHash('sha256').update(sql).digest('hex');
        return { name, kind, ...definedObject(name, sql), sql, sha256 };
      }),
    );
  };
  return [...(await load('function', 'functions')), ...(await load('view', 'views'))];
}

/**
 * The object a file defines: its first `create [or replace] function|procedure|view
 * <schema>.<name>`, which must be named like the file.
 */
export function definedObject(name: string, sql: string): { schema: string; object: string } {
  const code = sql.replace(/--.*$/gm, ''); // a header may name other objects
  const found = /\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure|view)\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)/i.exec(code);
  if (!found) throw new Error(`${name}: no schema-qualified create function, procedure or view`);
  const [, schema, object] = found as unknown as [string, string, string];
  if (object !== path.basename(name, '.sql')) throw new Error(`${name} defines ${schema}.${object}: name the file after its object`);
  return { schema, object };
}

/** Where the layout before issue 14 put an object, for rows recorded without schema and object. */
function locationByPath(name: string): { schema: string; object: string } {
  const parts = name
    .replace(/^(functions|views)\//, '')
    .replace(/\.sql$/, '')
    .split('/');
  return parts.length === 1 ? { schema: 'public', object: parts[0]! } : { schema: parts[0]!, object: parts[1]! };
}

export async function recordedDefinitions(client: ClientBase): Promise<Recorded[]> {
  const exists = await client.query(`select to_regclass('credits_meta.definitions') is not null as ok`);
  if (!exists.rows[0].ok) return [];
  const columns = await client.query(
    `select count(*)::int as n from information_schema.columns
      where table_schema = 'credits_meta' and table_name = 'definitions' and column_name = 'schema'`,
  );
  const { rows } = await client.query<Recorded & { schema: string | null; object: string | null }>(
    columns.rows[0].n > 0
      ? `select name, kind, sha256, schema, object from credits_meta.definitions`
      : `select name, kind, sha256, null as schema, null as object from credits_meta.definitions`,
  );
  return rows.map((r) => (r.schema && r.object ? r : { ...r, ...locationByPath(r.name) }) as Recorded);
}

async function objectExists(client: ClientBase, d: { kind: DefinitionKind; schema: string; object: string }) {
  const sql =
    d.kind === 'view'
      ? `select to_regclass(format('%I.%I', $1::text, $2::text)) is not null as ok`
      : `select exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname = $1 and p.proname = $2) as ok`;
  const { rows } = await client.query(sql, [d.schema, d.object]);
  return rows[0].ok as boolean;
}

const objectKey = (d: { kind: DefinitionKind; schema: string; object: string }) => `${d.kind} ${d.schema}.${d.object}`;

/** Everything a file can set on its object: definitions, privileges, comments, columns. */
async function fingerprint(client: ClientBase, d: Definition): Promise<string> {
  const sql =
    d.kind === 'view'
      ? `select jsonb_build_array(pg_get_viewdef(c.oid), c.reloptions, c.relacl::text, obj_description(c.oid, 'pg_class'),
                (select jsonb_agg(jsonb_build_array(a.attname, a.atttypid::regtype::text, a.attacl::text,
                                                    col_description(c.oid, a.attnum)) order by a.attnum)
                   from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped))::text as f
           from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2`
      : `select coalesce(jsonb_agg(jsonb_build_array(pg_get_functiondef(p.oid), p.proacl::text,
                                                   obj_description(p.oid, 'pg_proc')) order by p.oid::regprocedure::text), '[]')::text as f
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = $1 and p.proname = $2`;
  const { rows } = await client.query(sql, [d.schema, d.object]);
  return rows[0]?.f ?? '';
}

/**
 * Whether applying the file would leave its object as the database holds it: for an object no
 * deploy recorded (the row checks, created by migrations 0006 to 0023 before they were
 * definitions), so that adopting it rewrites nothing. Runs the file and rolls it back.
 */
async function appliesNothing(client: ClientBase, d: Definition): Promise<boolean> {
  const before = await fingerprint(client, d);
  await client.query('savepoint probe');
  try {
    await client.query(d.sql);
    return (await fingerprint(client, d)) === before;
  } catch {
    return false; // what the apply will do, and report, itself
  } finally {
    await client.query('rollback to savepoint probe');
    await client.query('release savepoint probe');
  }
}

/**
 * What an apply would do: definitions whose text changed (or whose object is missing), and
 * removals. Call it inside a transaction (it probes unrecorded objects by applying them).
 */
export async function planDefinitions(client: ClientBase, defs: Definition[]): Promise<DefinitionPlan> {
  return planAgainst(client, defs, await recordedDefinitions(client));
}

async function planAgainst(client: ClientBase, defs: Definition[], recorded: Recorded[]): Promise<DefinitionPlan> {
  const byName = new Map(recorded.map((r) => [r.name, r]));
  const byObject = new Map(recorded.map((r) => [objectKey(r), r]));
  const matched = new Set<string>();
  const plan: DefinitionPlan = { changed: [], unchanged: [], removed: [] };
  for (const d of defs) {
    const key = objectKey(d);
    const record = [byName.get(d.name), byObject.get(key)].find((r) => r && objectKey(r) === key);
    if (record) matched.add(record.name);
    const exists = await objectExists(client, d);
    const same = exists && (record ? record.sha256 === d.sha256 : await appliesNothing(client, d));
    (same ? plan.unchanged : plan.changed).push(d);
  }
  plan.removed = recorded.filter((r) => !matched.has(r.name)).map(({ name, kind, schema, object }) => ({ name, kind, schema, object }));
  return plan;
}

async function functionVersions(client: ClientBase, schema: string, object: string) {
  const { rows } = await client.query<{ signature: string; xmin: string }>(
    `select p.oid::regprocedure::text as signature, p.xmin::text as xmin
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and p.proname = $2`,
    [schema, object],
  );
  return rows;
}

async function dropFunction(client: ClientBase, schema: string, object: string) {
  for (const f of await functionVersions(client, schema, object)) {
    await client.query(`drop routine if exists ${f.signature}`); // a function or a procedure
  }
}

async function dropView(client: ClientBase, schema: string, object: string) {
  await client.query(`drop view if exists "${schema}"."${object}"`);
}

/**
 * Applies a function file. CREATE OR REPLACE keeps grants and callers undisturbed; when the
 * signature or result type changed, the old version is dropped first, and an overload the file
 * no longer defines is dropped after (PostgREST serves one signature per name).
 */
async function applyFunction(client: ClientBase, d: Definition) {
  const before = await functionVersions(client, d.schema, d.object);
  await client.query('savepoint definition');
  try {
    await client.query(d.sql);
  } catch (error) {
    // 42P13: cannot change return type or argument names of an existing function
    if ((error as { code?: string }).code !== '42P13') throw error;
    await client.query('rollback to savepoint definition');
    await dropFunction(client, d.schema, d.object);
    await client.query(d.sql);
  }
  await client.query('release savepoint definition');
  const after = new Map((await functionVersions(client, d.schema, d.object)).map((f) => [f.signature, f.xmin]));
  for (const old of before) {
    if (after.get(old.signature) === old.xmin) await client.query(`drop routine ${old.signature}`);
  }
}

/**
 * Runs `step` on every item, deferring an item that fails with `retryCode` (a dependency not
 * yet created, or still depending) to a later pass; fails when a pass makes no progress.
 */
async function inDependencyOrder<T>(client: ClientBase, items: T[], retryCode: string, step: (item: T) => Promise<void>) {
  let pending = items;
  while (pending.length > 0) {
    const deferred: T[] = [];
    let lastError: unknown;
    for (const item of pending) {
      await client.query('savepoint definition');
      try {
        await step(item);
        await client.query('release savepoint definition');
      } catch (error) {
        if ((error as { code?: string }).code !== retryCode) throw error;
        await client.query('rollback to savepoint definition');
        deferred.push(item);
        lastError = error;
      }
    }
    if (deferred.length === pending.length) throw lastError;
    pending = deferred;
  }
}

// 42P01 undefined_table: a view reads one that a later file creates.
const createViews = (client: ClientBase, views: Definition[]) =>
  inDependencyOrder(client, views, '42P01', (v) => client.query(v.sql).then(() => undefined));

// 2BP01 dependent_objects_still_exist: another managed view reads it; a view of someone
// else's that depends on ours stops the deploy with that error rather than vanishing.
const dropViews = (client: ClientBase, views: { schema: string; object: string }[]) =>
  inDependencyOrder(client, views, '2BP01', (v) => dropView(client, v.schema, v.object));

/**
 * Brings the database's functions and views to the source, in one transaction. Views are
 * recreated together when any of them changed (a view cannot change its columns in place) or a
 * function is removed (a view may call it).
 */
export async function applyDefinitions(client: ClientBase, defs: Definition[]): Promise<DefinitionPlan> {
  await client.query('begin');
  try {
    await client.query(ensureMetaTable);
    // Bodies reference each other; check them once all exist, at call time (as pg_dump does).
    await client.query('set local check_function_bodies = off');
    const recorded = await recordedDefinitions(client);
    const plan = await planAgainst(client, defs, recorded);
    const views = defs.filter((d) => d.kind === 'view');
    const viewsChanged = plan.changed.some((d) => d.kind === 'view') || plan.removed.length > 0;

    if (viewsChanged) {
      const all = [...recorded.filter((r) => r.kind === 'view'), ...views];
      await dropViews(client, [...new Map(all.map((v) => [`${v.schema}.${v.object}`, v])).values()]);
    }
    for (const r of plan.removed.filter((r) => r.kind === 'function')) await dropFunction(client, r.schema, r.object);
    for (const d of plan.changed.filter((d) => d.kind === 'function')) await applyFunction(client, d);
    if (viewsChanged) await createViews(client, views);

    // Records by file: a moved file's row goes, an adopted or moved unchanged one is written.
    const recordedNames = new Set(recorded.map((r) => r.name));
    await client.query(`delete from credits_meta.definitions where not (name = any($1))`, [defs.map((d) => d.name)]);
    const toRecord = viewsChanged ? [...plan.changed, ...plan.unchanged.filter((u) => u.kind === 'view')] : plan.changed;
    for (const d of [...toRecord, ...plan.unchanged.filter((u) => !recordedNames.has(u.name) && !toRecord.includes(u))]) {
      await client.query(
        `insert into credits_meta.definitions (name, kind, sha256, schema, object) values ($1, $2, $3, $4, $5)
         on conflict (name) do update set sha256 = excluded.sha256, schema = excluded.schema, object = excluded.object, applied_at = now()`,
        [d.name, d.kind, d.sha256, d.schema, d.object],
      );
    }
    // Rows recorded before schema and object were (a deploy from before issue 14): one statement.
    await client.query(
      `update credits_meta.definitions d set schema = u.schema, object = u.object
         from unnest($1::text[], $2::text[], $3::text[]) u (name, schema, object)
        where d.name = u.name and (d.schema, d.object) is distinct from (u.schema, u.object)`,
      [plan.unchanged.map((d) => d.name), plan.unchanged.map((d) => d.schema), plan.unchanged.map((d) => d.object)],
    );
    await client.query('commit');
    return plan;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

/**
 * Whether a table's constraint or trigger calls the function (the row checks, the tier limits'
 * trigger): it cannot be dropped; the migration that made the constraint or trigger drops it.
 */
async function backsATable(client: ClientBase, schema: string, object: string): Promise<boolean> {
  const { rows } = await client.query(
    `select exists (select 1 from pg_depend d join pg_proc p on p.oid = d.refobjid
                     join pg_namespace n on n.oid = p.pronamespace
                    where d.refclassid = 'pg_proc'::regclass
                      and d.classid in ('pg_constraint'::regclass, 'pg_trigger'::regclass)
                      and n.nspname = $1 and p.proname = $2) as ok`,
    [schema, object],
  );
  return rows[0].ok as boolean;
}

/**
 * Drops every function and view the package applied (views first), before migrations run
 * down: the objects they read are about to change. The row checks and the trigger's function
 * stay: the tables' CHECK constraints and triggers call them, and the migrations that add and
 * remove those replace them.
 * The next `up` to the latest migration applies them all again (the row checks adopted as they
 * are when unchanged). Returns how many were dropped.
 */
export async function dropDefinitions(client: ClientBase): Promise<number> {
  const all = await recordedDefinitions(client);
  if (all.length === 0) return 0;
  let dropped = 0;
  await client.query('begin');
  try {
    const views = all.filter((r) => r.kind === 'view');
    await dropViews(client, views);
    dropped += views.length;
    for (const r of all.filter((r) => r.kind === 'function')) {
      if (await backsATable(client, r.schema, r.object)) continue;
      await dropFunction(client, r.schema, r.object);
      dropped += 1;
    }
    await client.query('delete from credits_meta.definitions');
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
  return dropped;
}
