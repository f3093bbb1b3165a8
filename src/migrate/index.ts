// Deploys the package: versioned migrations (node-pg-migrate, migrations/*.sql) and then the
// repeatable definitions (functions/, views/). One advisory lock covers the whole deploy, so two
// deploys never interleave.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { packageRoot } from '../paths.js';
import { applyDefinitions, dropDefinitions, loadDefinitions, planDefinitions } from './definitions.js';
import type { Definition, DefinitionPlan } from './plan.js';
import { DeployConflictError, findConflicts, legacyDifferences } from './conflicts.js';
import { holdRollupRefresh, requireUtf8 } from './preflight.js';
import { enforcePrivileges, packagePublicTables } from './privileges.js';

export { type Conflict, DeployConflictError } from './plan.js';

export const migrationsSchema = 'credits_meta';
export const migrationsTable = 'migrations';
/** Held for the whole deploy (node-pg-migrate's own lock is taken inside it on the same session). */
const deployLockKey = 4242_0001;
/** The legacy schema as found (contract §1): recorded, not run, on an existing database. */
export const baselineMigration = '0001_legacy_baseline';

export interface MigrateOptions {
  databaseUrl: string;
  /** Folder holding migrations/, functions/ and views/ (default: this package). */
  root?: string;
  /** How many migrations to run; down defaults to 1, up to all. */
  count?: number;
  log?: (line: string) => void;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  definitions: DefinitionPlan;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'credits-migrate' });
  await client.connect();
  try {
    await client.query('set client_min_messages = warning');
    await client.query('select pg_advisory_lock($1)', [deployLockKey]);
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function migrationFiles(root = packageRoot): Promise<string[]> {
  const files = await readdir(path.join(root, 'migrations'));
  return files
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort();
}

/** A migration's two sections: its text before the `-- Down Migration` marker, and after it. */
async function migrationSections(name: string, root: string): Promise<{ up: string; down: string | undefined }> {
  const [up, down] = (await readFile(path.join(root, 'migrations', `${name}.sql`), 'utf8')).split(/^-- Down Migration/m);
  return { up: up!, down };
}

/** A migration's up section: its text before the `-- Down Migration` marker. */
export async function migrationUpSection(name: string, root = packageRoot): Promise<string> {
  return (await migrationSections(name, root)).up;
}

async function appliedMigrations(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query(`select to_regclass($1) is not null as ok`, [`${migrationsSchema}.${migrationsTable}`]);
  if (!rows[0].ok) return [];
  const result = await client.query<{ name: string }>(`select name from ${migrationsSchema}.${migrationsTable} order by run_on, id`);
  return result.rows.map((r) => r.name);
}

function runMigrations(client: pg.ClientBase, root: string, direction: 'up' | 'down', extra: { count?: number; fake?: boolean }) {
  return runner({
    dbClient: client,
    dir: path.join(root, 'migrations'),
    migrationsSchema,
    migrationsTable,
    createMigrationsSchema: true,
    direction,
    count: extra.count ?? (direction === 'down' ? 1 : Infinity),
    fake: extra.fake ?? false,
    checkOrder: true,
    singleTransaction: true,
    logger: silent,
  });
}

/**
 * The pre-flight (src/migrate/conflicts.ts): every object in the way of this deploy, named with
 * what to do, before anything is written.
 */
async function refuseConflicts(client: pg.ClientBase, root: string, definitions: Definition[], count: number | undefined) {
  const names = await migrationFiles(root);
  const migrations = await Promise.all(
    names.map(async (name) => {
      const { up, down } = await migrationSections(name, root);
      return { name, sql: up, down };
    }),
  );
  const conflicts = await findConflicts(client, { migrations, applied: await appliedMigrations(client), count, definitions });
  if (conflicts.length > 0) throw new DeployConflictError(conflicts);
}

const publicViews = (sources: Definition[]) => sources.filter((d) => d.kind === 'view' && d.schema === 'public').map((d) => d.object);

/**
 * Runs pending migrations, then brings functions and views to the source when at the latest,
 * then re-establishes the package's privileges (src/migrate/privileges.ts).
 */
export async function migrateUp(options: MigrateOptions): Promise<{ migrations: string[]; definitions: DefinitionPlan | null }> {
  const root = options.root ?? packageRoot;
  const log = options.log ?? (() => {});
  return withClient(options.databaseUrl, async (client) => {
    await requireUtf8(client);
    // Before runner(): node-pg-migrate creates its schema and table before it runs anything.
    const sources = await loadDefinitions(root);
    await refuseConflicts(client, root, sources, options.count);
    await holdRollupRefresh(client, log);
    const ran = await runMigrations(client, root, 'up', { count: options.count });
    for (const m of ran) log(`migrated up: ${m.name}`);
    const applied = await appliedMigrations(client);
    let definitions: DefinitionPlan | null = null;
    if ((await migrationFiles(root)).some((f) => !applied.includes(f))) {
      log('not at the latest migration: functions and views are applied once all migrations have run');
    } else {
      definitions = await applyDefinitions(client, sources);
      for (const d of definitions.changed) log(`applied: ${d.name}`);
      for (const d of definitions.removed) log(`dropped: ${d.name}`);
    }
    // Every deploy, even one with nothing to migrate: default privileges may have granted
    // writes on a table since, and service_role may have been created since.
    if (applied.length > 1) {
      const publicRelations = [...(await packagePublicTables(root)), ...publicViews(sources)];
      for (const statement of await enforcePrivileges(client, publicRelations)) log(statement);
    }
    return { migrations: ran.map((m) => m.name), definitions };
  });
}

/** Drops the package's functions and views, then rolls back `count` migrations (default 1). */
export async function migrateDown(options: MigrateOptions): Promise<{ migrations: string[] }> {
  const root = options.root ?? packageRoot;
  const log = options.log ?? (() => {});
  return withClient(options.databaseUrl, async (client) => {
    const applied = await appliedMigrations(client);
    const count = Math.min(options.count ?? 1, applied.length);
    if (count === 0) return { migrations: [] };
    if (applied.slice(-count).includes(baselineMigration)) {
      throw Object.assign(
        new Error(`cannot roll back ${baselineMigration}: a database is never rolled back past the state it was adopted in`),
        {
          code: 'CR005',
          hint: `roll back at most ${applied.length - 1} migrations`,
        },
      );
    }
    const dropped = await dropDefinitions(client);
    if (dropped > 0) log(`dropped ${dropped} functions and views (re-applied by the next up to the latest)`);
    try {
      const ran = await runMigrations(client, root, 'down', { count });
      for (const m of ran) log(`migrated down: ${m.name}`);
      return { migrations: ran.map((m) => m.name) };
    } catch (error) {
      // The down ran in one transaction and rolled back: put the functions and views back.
      await applyDefinitions(client, await loadDefinitions(root));
      throw error;
    }
  });
}

/** Adoption of an existing production database: records the legacy baseline as applied. */
export async function adoptBaseline(options: MigrateOptions): Promise<void> {
  const root = options.root ?? packageRoot;
  await withClient(options.databaseUrl, async (client) => {
    const applied = await appliedMigrations(client);
    if (applied.length > 0) throw new Error(`already managed: ${applied.length} migrations are recorded (${applied.join(', ')})`);
    const { missing, differences } = await legacyDifferences(client, await migrationUpSection(baselineMigration, root));
    const migrateUpInstead = 'run `credits migrate up` instead: it names any table of yours in the way, with what to do';
    if (missing.length > 0) {
      throw Object.assign(new Error(`not a legacy database: missing ${missing.join(', ')}`), { hint: migrateUpInstead });
    }
    const unlike = [...differences].filter(([, columns]) => columns.length > 0);
    if (unlike.length > 0) {
      const lacks = unlike.map(([t, columns]) => `public.${t} lacks ${columns.join(', ')}`).join('; ');
      throw Object.assign(new Error(`not a legacy database (contract §1): ${lacks}`), { hint: migrateUpInstead });
    }
    await runMigrations(client, root, 'up', { count: 1, fake: true });
    options.log?.(`recorded ${baselineMigration} as applied (nothing was run)`);
  });
}

export async function migrationStatus(options: MigrateOptions): Promise<MigrationStatus> {
  const root = options.root ?? packageRoot;
  return withClient(options.databaseUrl, async (client) => {
    const applied = await appliedMigrations(client);
    const pending = (await migrationFiles(root)).filter((f) => !applied.includes(f));
    // The plan probes objects no deploy recorded by applying them: in a transaction rolled back.
    await client.query('begin');
    try {
      await client.query('set local check_function_bodies = off');
      const definitions = await planDefinitions(client, await loadDefinitions(root));
      return { applied, pending, definitions };
    } finally {
      await client.query('rollback');
    }
  });
}
