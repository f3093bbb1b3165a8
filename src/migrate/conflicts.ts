// The deploy's pre-flight: what the pending migrations and the definitions would create, compared
// with what the database holds, before anything is written (not a schema, a role or the
// migrations table). Every object of the package's name that is someone else's is named, with
// what to do, and the deploy stops: an app's own `user_credits`, a function of one of our names,
// a schema `monitoring` of its own, a column our migration adds.
//
// How "what the package would create" is known: each migration's up section is read
// (migration-objects.ts) and replayed over the catalog. An object is the package's when an
// applied migration created it (the applied ones are replayed from nothing), when it lies in a
// schema the package created, or, for a function or view, when credits_meta.definitions records
// it. A pending migration's object that exists and is none of these is a conflict. On a database
// no migration was recorded in, that is every object the package has, unless it holds the legacy
// schema (contract §1), which is adopted instead.
import type pg from 'pg';
import { recordedDefinitions } from './definitions.js';
import type { Conflict } from './plan.js';
import { type ObjectKey, type Operation, columnKey, functionKey, readMigration, relationKey, schemaKey } from './migration-objects.js';

export type { Conflict } from './plan.js';
export { DeployConflictError } from './plan.js';

export interface PreflightInput {
  /** Every migration of the source, in order, with its up and down sections. */
  migrations: { name: string; sql: string; down?: string }[];
  /** Recorded in credits_meta.migrations. */
  applied: string[];
  /** How many pending migrations this deploy runs (all when undefined). */
  count?: number;
  /** The functions and views of the source. */
  definitions: { name: string; kind: 'function' | 'view'; schema: string; object: string }[];
  /** The roles 0002 creates where missing (a parameter for the tests: roles are cluster-wide). */
  roles?: readonly PackageRole[];
}

const baseline = '0001_legacy_baseline';
/** The tables `credits migrate adopt` takes as the legacy schema. */
const legacyTables = ['user_credits', 'credit_transactions', 'enhancement_tasks'] as const;
const rolesMigration = '0002_credits_ledger';
/** A role 0002 creates where missing; an end user's is kept to its own rows by row-level security. */
export interface PackageRole {
  name: string;
  endUser: boolean;
}
export const packageRoles: readonly PackageRole[] = [
  { name: 'credits_service', endUser: false },
  { name: 'credits_analyst', endUser: false },
  { name: 'anon', endUser: true },
  { name: 'authenticated', endUser: true },
];

type Owner = 'foreign' | 'applied' | 'new';
interface Entry {
  owner: Owner;
  /** A function's versions (overloads), so a migration's drop of the old one is followed. */
  versions: number;
}
type State = Map<ObjectKey, Entry>;

const schemaOfKey = (key: ObjectKey) => key.split(' ')[1]!.split('.')[0]!;
const relationOfColumn = (key: ObjectKey) => {
  const [schema, table] = key.split(' ')[1]!.split('.');
  return relationKey(schema!, table!);
};

/**
 * Replays operations over a state. `check` is called for each object a create would meet that
 * is neither the package's nor inside something the package creates; the replay goes on as if it
 * had been created, so every conflict is found in one pass and none inside another.
 */
function replay(state: State, operations: Operation[], check?: (key: ObjectKey, op: Operation) => void) {
  const ours = (key: ObjectKey) => {
    const owner = state.get(key)?.owner;
    return owner === 'applied' || owner === 'new';
  };
  const create = (key: ObjectKey, op: Operation, addsVersion = true) => {
    const insideOurs = key.startsWith('schema ')
      ? false
      : ours(schemaKey(schemaOfKey(key))) || (key.startsWith('column ') && state.get(relationOfColumn(key))?.owner === 'new');
    const entry = state.get(key);
    if (!insideOurs && entry?.owner === 'foreign') check?.(key, op);
    const versions = entry && entry.owner !== 'foreign' ? entry.versions + (addsVersion ? 1 : 0) : 1;
    state.set(key, { owner: 'new', versions });
  };
  const dropColumns = (relation: ObjectKey) => {
    const prefix = `column ${relation.slice('relation '.length)}.`;
    for (const key of [...state.keys()]) if (key.startsWith(prefix)) state.delete(key);
  };
  for (const op of operations) {
    switch (op.op) {
      case 'create schema':
        create(schemaKey(op.schema), op);
        break;
      case 'create relation':
        create(relationKey(op.schema, op.name), op);
        for (const c of op.columns) state.set(columnKey(op.schema, op.name, c.name), { owner: 'new', versions: 1 });
        break;
      case 'create column':
        create(columnKey(op.schema, op.table, op.column), op);
        break;
      case 'create function':
        create(functionKey(op.schema, op.name), op, !op.orReplace);
        break;
      case 'rename column':
        state.delete(columnKey(op.schema, op.table, op.from));
        create(columnKey(op.schema, op.table, op.to), op);
        break;
      case 'move relation': {
        const from = relationKey(op.schema, op.name);
        const to = relationKey(op.toSchema, op.toName);
        const columns = [...state.keys()].filter((k) => k.startsWith(`column ${op.schema}.${op.name}.`));
        create(to, op);
        for (const c of columns) {
          state.delete(c);
          state.set(columnKey(op.toSchema, op.toName, c.split('.').at(-1)!), { owner: 'new', versions: 1 });
        }
        state.delete(from);
        break;
      }
      case 'drop': {
        const entry = state.get(op.key);
        if (op.key.startsWith('function ') && entry && entry.versions > 1) entry.versions--;
        else state.delete(op.key);
        if (op.key.startsWith('relation ')) dropColumns(op.key);
        break;
      }
    }
  }
}

/** The objects a sequence of migrations leaves, replayed from an empty database. */
export function replayedObjects(operations: Operation[][]): Set<ObjectKey> {
  const state: State = new Map();
  for (const ops of operations) replay(state, ops);
  return new Set(state.keys());
}

interface Found {
  /** table, index, view, type, function, schema, column, role… */
  what: string;
  /** A function's signature, a column's type, a role's attributes. */
  detail: string | null;
  /** A column's type without modifiers, for the legacy shape. */
  base: string | null;
}

/** What the catalog holds under the names the package uses, in one round trip. */
async function readCatalog(client: pg.ClientBase, keys: Set<ObjectKey>, roles: string[]) {
  const split = (prefix: string) =>
    [...keys].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('.') as [string, string]);
  const relations = split('relation ');
  const functions = split('function ');
  const { rows } = await client.query<Found & { key: string }>(
    `with rel (s, n) as (select * from unnest($2::text[], $3::text[])),
          fn (s, n) as (select * from unnest($4::text[], $5::text[]))
     select 'schema ' || nspname as key, 'schema' as what, null as detail, null as base
       from pg_catalog.pg_namespace where nspname = any($1)
     union all
     select 'relation ' || n.nspname || '.' || c.relname,
            case c.relkind when 'r' then 'table' when 'p' then 'table' when 'i' then 'index' when 'I' then 'index'
              when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' when 'c' then 'type'
              when 'f' then 'foreign table' else 'relation' end, null, null
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join rel on (rel.s, rel.n) = (n.nspname, c.relname)
     union all
     select 'relation ' || n.nspname || '.' || t.typname, 'type', null, null
       from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
       join rel on (rel.s, rel.n) = (n.nspname, t.typname)
      where t.typrelid = 0
     union all
     select 'function ' || n.nspname || '.' || p.proname, case p.prokind when 'p' then 'procedure' else 'function' end,
            format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes)), null
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       join fn on (fn.s, fn.n) = (n.nspname, p.proname)
     union all
     select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname, 'column',
            pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid::regtype::text
       from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join rel on (rel.s, rel.n) = (n.nspname, c.relname)
      where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'c', 'v', 'm', 'f')
     union all
     select 'role ' || rolname, 'role',
            concat_ws(' ', case when rolsuper then 'SUPERUSER' end, case when rolbypassrls then 'BYPASSRLS' end), null
       from pg_catalog.pg_roles where rolname = any($6)
     union all
     select 'relation credits_meta.' || c.relname, 'bookkeeping', null, null
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'credits_meta'`,
    [
      split('schema ').map(([s]) => s),
      relations.map(([s]) => s),
      relations.map(([, n]) => n),
      functions.map(([s]) => s),
      functions.map(([, n]) => n),
      roles,
    ],
  );
  const catalog = new Map<ObjectKey, Found[]>();
  for (const { key, ...found } of rows) catalog.set(key, [...(catalog.get(key) ?? []), found]);
  return catalog;
}

/** Base type names as the catalog spells them (`timestamptz` → `timestamp with time zone`). */
async function regtypes(client: pg.ClientBase, types: string[]): Promise<Map<string, string | null>> {
  const { rows } = await client.query<{ t: string; r: string | null }>(
    'select t, pg_catalog.to_regtype(t)::text as r from unnest($1::text[]) t',
    [types],
  );
  return new Map(rows.map((r) => [r.t, r.r]));
}

const columnsOf = (catalog: Map<ObjectKey, Found[]>, schema: string, table: string) =>
  [...catalog.entries()]
    .filter(([k]) => k.startsWith(`column ${schema}.${table}.`))
    .map(([k, [f]]) => ({ name: k.split('.').at(-1)!, type: f!.detail!, base: f!.base! }));

/**
 * The legacy tables that hold every column of the baseline with its type (extra columns of an
 * app's own are allowed), and the baseline's columns each of the others lacks.
 */
async function legacyShape(client: pg.ClientBase, catalog: Map<ObjectKey, Found[]>, baselineOps: Operation[]) {
  const tables = baselineOps.filter(
    (o): o is Extract<Operation, { op: 'create relation' }> =>
      o.op === 'create relation' && o.kind === 'table' && (legacyTables as readonly string[]).includes(o.name),
  );
  const present = tables.filter((t) => catalog.has(relationKey('public', t.name)));
  const expected = await regtypes(client, [...new Set(present.flatMap((t) => t.columns.map((c) => c.type)))]);
  const differences = new Map<string, string[]>();
  for (const t of present) {
    const have = new Map(columnsOf(catalog, 'public', t.name).map((c) => [c.name, c.base]));
    const missing = t.columns.filter((c) => have.get(c.name) !== expected.get(c.type)).map((c) => `${c.name} ${c.type}`);
    differences.set(t.name, missing);
  }
  return { present: present.map((t) => t.name), differences };
}

/**
 * For `credits migrate adopt`: the legacy tables missing, and the baseline's columns each
 * present one lacks (none anywhere: the database holds the legacy schema).
 */
export async function legacyDifferences(client: pg.ClientBase, baselineSql: string) {
  const catalog = await readCatalog(client, new Set(legacyTables.map((t) => relationKey('public', t))), []);
  const shape = await legacyShape(client, catalog, readMigration(baselineSql).operations);
  return { missing: legacyTables.filter((t) => !shape.present.includes(t)), differences: shape.differences };
}

const contractAdvice: Record<string, (table: string) => string> = {
  user_credits: (t) =>
    `rename yours and import its balances: \`alter table public.${t} rename to app_${t};\`, then \`credits migrate up\`, then \`credits import <import-id> --reason '…' --from-sql "select user_id, '<tier>' as tier, <balance> as purchased from app_${t}"\``,
  credit_transactions: (t) =>
    `rename yours (it stays your history) and import the balances it adds up to: \`alter table public.${t} rename to app_${t};\`, then \`credits migrate up\`, then \`credits import <import-id> --reason '…' --from-sql "select user_id, '<tier>' as tier, sum(<amount>) as purchased from app_${t} group by user_id"\``,
  enhancement_tasks: (t) =>
    `rename yours (it stays your history; the package's tasks start with the next generation): \`alter table public.${t} rename to app_${t};\`, then \`credits migrate up\``,
  credit_tiers: (t) =>
    `rename yours, then copy your tiers into the package's: \`alter table public.${t} rename to app_${t};\`, then \`credits migrate up\`, then \`insert into public.credit_tiers (tier, monthly_allowance) select … from app_${t} on conflict (tier) do update set monthly_allowance = excluded.monthly_allowance;\``,
  provider_prices: (t) =>
    `rename yours, then copy your prices into the package's: \`alter table public.${t} rename to app_${t};\`, then \`credits migrate up\`, then \`insert into public.provider_prices (provider, model, cost_usd, effective_from) select … from app_${t};\``,
};

const alterKind: Record<string, string> = {
  table: 'table',
  index: 'index',
  sequence: 'sequence',
  view: 'view',
  'materialized view': 'materialized view',
  type: 'type',
  'foreign table': 'foreign table',
};

/** The conflict for an object the replay met: what is there, and what to do about it. */
function describe(key: ObjectKey, op: Operation, catalog: Map<ObjectKey, Found[]>, createdBy: string): Conflict {
  const found = catalog.get(key) ?? [];
  const [kind, qualified] = key.split(' ') as [string, string];
  const [schema, name, column] = qualified.split('.') as [string, string, string | undefined];
  const what = op.op === 'create relation' ? op.kind : op.op === 'move relation' ? 'table' : kind;
  if (kind === 'schema') {
    return {
      object: `schema ${schema}`,
      createdBy,
      found: 'a schema of yours: the package creates it and keeps only its own objects there',
      advice: `rename yours: \`alter schema ${schema} rename to app_${schema};\``,
    };
  }
  if (kind === 'function') {
    return {
      object: `function ${qualified}`,
      createdBy,
      found: `yours, which the package would replace or overload: ${found.map((f) => f.detail).join(', ')}`,
      advice: `rename yours: ${found.map((f) => `\`alter ${f.what} ${f.detail} rename to app_${name};\``).join(' ')}`,
    };
  }
  if (kind === 'column') {
    const type = catalog.get(relationKey(schema, name))?.[0]?.what === 'type';
    return {
      object: `${type ? 'attribute' : 'column'} ${qualified}`,
      createdBy,
      found: `a ${type ? 'attribute' : 'column'} of yours (${found[0]?.detail}) where the package adds its own`,
      advice: type
        ? `rename yours: \`alter type ${schema}.${name} rename attribute ${column} to app_${column};\``
        : `rename yours: \`alter table ${schema}.${name} rename column ${column} to app_${column};\``,
    };
  }
  const existing = found[0]?.what ?? 'relation';
  const columns = columnsOf(catalog, schema, name);
  const shape = columns.length ? ` (${columns.map((c) => `${c.name} ${c.type}`).join(', ')})` : '';
  const renameYours = `rename yours: \`alter ${alterKind[existing] ?? 'table'} ${qualified} rename to app_${name};\``;
  const advice = schema === 'public' && existing === 'table' && contractAdvice[name] ? contractAdvice[name](name) : renameYours;
  const primaryKey = catalog.get(relationKey(schema, `${name}_pkey`))?.[0]?.what === 'index';
  return {
    object: `${what} ${qualified}`,
    createdBy,
    found: `a ${existing} of yours${shape}`,
    advice: primaryKey
      ? `${advice} (also its primary key's index, which keeps its name: \`alter index ${qualified}_pkey rename to app_${name}_pkey;\`)`
      : advice,
  };
}

/**
 * Every object in the way of this deploy, in the order the deploy would meet them; none when it
 * can go ahead. Reads the catalog only.
 */
export async function findConflicts(client: pg.ClientBase, input: PreflightInput): Promise<Conflict[]> {
  const roles = input.roles ?? packageRoles;
  const read = input.migrations.map((m) => ({ name: m.name, operations: readMigration(m.sql).operations }));
  const keys = new Set<ObjectKey>();
  for (const { operations } of read) {
    for (const op of operations) {
      if (op.op === 'create schema') keys.add(schemaKey(op.schema));
      else if (op.op === 'create relation' || op.op === 'create function') {
        keys.add(schemaKey(op.schema));
        keys.add(op.op === 'create function' ? functionKey(op.schema, op.name) : relationKey(op.schema, op.name));
        // a table of yours of that name keeps its index's name when renamed: ours would get `_pkey1`
        if (op.op === 'create relation' && op.kind === 'table') keys.add(relationKey(op.schema, `${op.name}_pkey`));
      } else if (op.op === 'create column' || op.op === 'rename column') keys.add(relationKey(op.schema, op.table));
      else if (op.op === 'move relation') {
        keys.add(schemaKey(op.toSchema));
        keys.add(relationKey(op.toSchema, op.toName));
      }
    }
  }
  for (const d of input.definitions) {
    keys.add(schemaKey(d.schema));
    keys.add(d.kind === 'function' ? functionKey(d.schema, d.object) : relationKey(d.schema, d.object));
  }
  const catalog = await readCatalog(
    client,
    keys,
    roles.map((r) => r.name),
  );
  const conflicts: Conflict[] = [];
  /** Tables of the legacy shape in a database that lacks the rest of it, with what it lacks. */
  const legacyHalf = new Map<string, string[]>();

  // A database no migration was recorded in: the legacy schema is adopted, not created.
  let applied = input.applied;
  if (applied.length === 0) {
    const baselineOps = read.find((m) => m.name === baseline)?.operations ?? [];
    const legacy = await legacyShape(client, catalog, baselineOps);
    const isLegacy = legacyTables.every((t) => legacy.differences.get(t)?.length === 0);
    if (isLegacy) {
      applied = [baseline];
      conflicts.push({
        object: legacyTables.map((t) => `public.${t}`).join(', '),
        createdBy: baseline,
        found: 'the legacy schema the package adopts (contract §1)',
        advice: `run \`credits migrate adopt\` (it records ${baseline} as applied and runs nothing), then \`credits migrate up\``,
      });
    }
    const meta = [...catalog.keys()].filter((k) => k.startsWith('relation credits_meta.'));
    const ownMeta = /^relation credits_meta\.(migrations|migrations_id_seq|migrations_pkey|definitions|definitions_pkey)$/;
    const others = meta.filter((k) => !ownMeta.test(k));
    if (others.length > 0) {
      conflicts.push({
        object: 'schema credits_meta',
        createdBy: 'the deploy (its bookkeeping)',
        found: `a schema of yours: ${others.map((k) => k.slice('relation '.length)).join(', ')}`,
        advice: 'rename yours: `alter schema credits_meta rename to app_credits_meta;`',
      });
    }
    for (const t of isLegacy ? [] : legacy.present) {
      if (legacy.differences.get(t)?.length === 0) {
        const missing = legacyTables.filter((x) => !legacy.present.includes(x));
        legacyHalf.set(t, missing);
      }
    }
  }

  // Objects of the applied migrations are the package's; everything else found is foreign.
  const appliedOps = read.filter((m) => applied.includes(m.name)).map((m) => m.operations);
  const ours = replayedObjects(appliedOps);
  // A down migration keeps what it removes in a schema of its own (archive), left in place for
  // the next up: on a managed database that schema is the package's too.
  if (input.applied.length > 0) {
    for (const m of input.migrations) {
      for (const op of readMigration(m.down ?? '').operations) if (op.op === 'create schema') ours.add(schemaKey(op.schema));
    }
  }
  const state: State = new Map();
  for (const [key, found] of catalog) {
    if (key.startsWith('role ')) continue;
    state.set(key, { owner: ours.has(key) ? 'applied' : 'foreign', versions: found.length });
  }
  const pendingAll = read.filter((m) => !applied.includes(m.name));
  const pending = input.count === undefined ? pendingAll : pendingAll.slice(0, input.count);
  for (const m of pending) {
    replay(state, m.operations, (key, op) => {
      const conflict = describe(key, op, catalog, m.name);
      const missing = legacyHalf.get(key.slice('relation public.'.length));
      if (key.startsWith('relation public.') && missing) {
        conflict.found += `; it has the legacy shape (contract §1), but ${missing.map((t) => `public.${t}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing for \`credits migrate adopt\``;
      }
      conflicts.push(conflict);
    });
  }

  // The definitions, once the deploy reaches the latest migration: a function or view of our
  // name in a schema that is not the package's, not recorded as applied by a deploy, is yours.
  if (pending.length === pendingAll.length) {
    // Recorded by its object, or by its file (rows of a deploy before issue 14 name no object).
    const recorded = new Set((await recordedDefinitions(client)).flatMap((r) => [`${r.schema}.${r.object}`, r.name]));
    for (const d of input.definitions) {
      const key = d.kind === 'function' ? functionKey(d.schema, d.object) : relationKey(d.schema, d.object);
      const schemaOwner = state.get(schemaKey(d.schema))?.owner;
      if (schemaOwner === 'applied' || schemaOwner === 'new') continue;
      if (recorded.has(`${d.schema}.${d.object}`) || recorded.has(d.name)) continue;
      if (state.get(key)?.owner !== 'foreign') continue;
      const op: Operation =
        d.kind === 'function'
          ? { op: 'create function', schema: d.schema, name: d.object, orReplace: true }
          : { op: 'create relation', kind: 'view', schema: d.schema, name: d.object, columns: [] };
      conflicts.push(describe(key, op, catalog, d.name));
    }
  }

  // Roles are cluster-wide and shared: one that exists is fine, unless it would let its members
  // past what the package enforces (docs/operations.md, "The pre-flight").
  if (pending.some((m) => m.name === rolesMigration)) {
    for (const { name: role, endUser } of roles) {
      const attributes = catalog.get(`role ${role}`)?.[0]?.detail ?? '';
      const breaking = attributes.split(' ').filter((a) => a === 'SUPERUSER' || (a === 'BYPASSRLS' && endUser));
      if (breaking.length === 0) continue;
      conflicts.push({
        object: `role ${role}`,
        createdBy: `${rolesMigration} (where missing)`,
        found: `a role that is ${breaking.join(' and ')}: ${
          breaking.includes('SUPERUSER') ? "the package's revoked writes and row-level security" : 'row-level security'
        } would not hold for it`,
        advice: `\`alter role ${role} ${breaking.map((a) => `no${a.toLowerCase()}`).join(' ')};\` (or use another role for what needs it)`,
      });
    }
  }
  return conflicts;
}
