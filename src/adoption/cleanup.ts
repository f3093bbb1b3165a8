// The pre-flight of the cleanup migration (0003): what it would archive, and whether anything
// still depends on the pools. It runs the migration's own up section in a transaction that is
// always rolled back, so the answer is the migration's, not a second copy of its rules.
import postgres from 'postgres';
import { migrationUpSection } from '../migrate/index.js';
import { packageRoot } from '../paths.js';

export const cleanupMigration = '0003_archive_platform_pools';

export interface CleanupPreflight {
  state: 'ready' | 'blocked' | 'done';
  rows: { credit_pools: number; credit_purchase_requests: number };
  dependants: string[];
}

const rollback = Symbol('rollback');

export async function cleanupPreflight(databaseUrl: string, root = packageRoot): Promise<CleanupPreflight> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [where] = await sql<{ schema: string | null }[]>`
      select coalesce(to_regclass('public.credit_pools'), to_regclass('archive.credit_pools'))::text as schema`;
    if (!where?.schema) throw new Error('no credit_pools table here: is this the platform database?');
    const schema = where.schema.startsWith('archive.') ? 'archive' : 'public';
    const [rows] = await sql.unsafe<{ credit_pools: number; credit_purchase_requests: number }[]>(
      `select (select count(*)::int from ${schema}.credit_pools) credit_pools,
              (select count(*)::int from ${schema}.credit_purchase_requests) credit_purchase_requests`,
    );
    if (schema === 'archive') return { state: 'done', rows: rows!, dependants: [] };

    const up = await migrationUpSection(cleanupMigration, root);
    let dependants: string[] = [];
    await sql
      .begin(async (tx) => {
        await tx`set local lock_timeout = '5s'`;
        await tx.unsafe(up);
        throw rollback;
      })
      .catch((error: { code?: string; detail?: string } | typeof rollback) => {
        if (error === rollback) return;
        if (error.code !== '2BP01') throw error;
        dependants = (error.detail ?? '').split('\n').filter(Boolean);
      });
    return { state: dependants.length ? 'blocked' : 'ready', rows: rows!, dependants };
  } finally {
    await sql.end();
  }
}
