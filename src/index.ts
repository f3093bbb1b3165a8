// The package's public TypeScript API: the generated client (one typed function per RPC, row
// types and readers for the monitoring views), typed errors, the admin dashboard helpers, and
// the programmatic deploy (loaded on first call: importing the client loads no migration tooling).
export * from './generated/client.js';
export * from './errors.js';
export { adminCreditStatsExpress, adminCreditStatsRoute } from './dashboard/stats.js';
export type * from './client/documents.js';
export type { CreditsLedgerDatabase } from './generated/supabase.js';
export type { WithCreditsLedger } from './client/with-credits-ledger.js';
export {
  adoptBaseline,
  migrateDown,
  migrateUp,
  migrationStatus,
  type Conflict,
  type DefinitionPlan,
  type MigrateOptions,
  type MigrationStatus,
} from './deploy.js';
