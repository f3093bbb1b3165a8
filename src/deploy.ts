// The programmatic deploy, as the package root exports it: each call loads the migration stack
// (pg, node-pg-migrate) on first use, so an application that imports only the typed client
// never loads it. `pg-credits-ledger/migrate` exports the same functions directly.
import type { MigrateOptions, MigrationStatus } from './migrate/index.js';

export type { MigrateOptions, MigrationStatus } from './migrate/index.js';
export type { DefinitionPlan } from './migrate/plan.js';
/** What a refused deploy names (a DeployConflictError's `conflicts`; src/migrate/conflicts.ts). */
export type { Conflict } from './migrate/plan.js';

const deployer = () => import('./migrate/index.js');

/** Runs pending migrations (at most `count`), then applies changed functions and views. */
export async function migrateUp(options: MigrateOptions) {
  return (await deployer()).migrateUp(options);
}

/** Rolls back the last `count` migrations (default 1), never the legacy baseline. */
export async function migrateDown(options: MigrateOptions) {
  return (await deployer()).migrateDown(options);
}

/** Records the legacy baseline as applied on an existing production database. */
export async function adoptBaseline(options: MigrateOptions): Promise<void> {
  return (await deployer()).adoptBaseline(options);
}

/** Applied and pending migrations, functions and views a deploy would change. */
export async function migrationStatus(options: MigrateOptions): Promise<MigrationStatus> {
  return (await deployer()).migrationStatus(options);
}
