// The two yardsticks `npm run bench` measures the hot path against, each held to a pinned hash so
// that a ratio always means the same thing: the straightforward lifecycle (straightforward.sql,
// ours) and pgledger, a general double-entry ledger in SQL functions (MIT; never copied into the
// project: loaded from ../shared/anchors/pgledger/, or PGLEDGER_DIR, into a scratch database).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type postgres from 'postgres';
import { packageRoot } from '../../src/paths.js';

export const straightforwardFile = path.join(packageRoot, 'tools', 'bench', 'straightforward.sql');
export const straightforwardSha256 = '048a503eab37ac64856b717bb65107f2ae4085be1328b354adb4bf05fabd65e9';

/** pgledger at commit c18c7d2, in its load order. */
export const pgledgerFiles: readonly { name: string; sha256: string }[] = [
  { name: 'vendor_scoville-pgsql-ulid_ulid-to-uuid.sql', sha256: '6a4e559c956d1548ad6ab0c4d99755bf5e870a781ae15e0ff178f5d66f8deb90' },
  { name: 'vendor_scoville-pgsql-ulid_uuid-to-ulid.sql', sha256: '507cc0cf4890fc51f2dd900b52e5f5eefb38f6c5150cdb9a32a886c3817ad04e' },
  { name: 'pgledger.sql', sha256: 'fc41721e718630c5d98e39788045c4e75cba5db922ef6bf00c63973933960720' },
];

export const pgledgerDir = (): string => process.env.PGLEDGER_DIR ?? path.resolve(packageRoot, '..', 'shared', 'anchors', 'pgledger');

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export type Pgledger = { found: false; reason: string } | { found: true; dir: string; sql: string[] };

/** pgledger's files, read and checked against their pinned hashes; found: false says why not. */
export async function readPgledger(dir = pgledgerDir()): Promise<Pgledger> {
  if (!existsSync(dir)) return { found: false, reason: `no folder ${dir} (set PGLEDGER_DIR to where pgledger's SQL is)` };
  const sql: string[] = [];
  for (const file of pgledgerFiles) {
    const at = path.join(dir, file.name);
    if (!existsSync(at)) return { found: false, reason: `${at} is missing` };
    const text = await readFile(at, 'utf8');
    if (sha256(text) !== file.sha256) return { found: false, reason: `${at} is not the pinned version (sha256 differs)` };
    sql.push(text);
  }
  return { found: true, dir, sql };
}

/**
 * pgledger in an empty database, in one transaction as its README says, with accounts
 * 'pgla_' + n (n = 0…accounts; 0 is the platform) written as pgledger_create_account writes them
 * but with ids the pgbench scripts can compute, so that a transfer is one call and nothing else.
 */
export async function loadPgledger(sql: postgres.Sql, pgledger: Extract<Pgledger, { found: true }>, accounts: number): Promise<void> {
  await sql.begin(async (tx) => {
    for (const text of pgledger.sql) await tx.unsafe(text);
  });
  await sql`insert into pgledger_accounts (id, name, currency, allow_negative_balance, allow_positive_balance, created_at, updated_at)
            select 'pgla_' || lpad(n::text, 26, '0'), 'account ' || n, 'credits', true, true, now(), now()
              from generate_series(0, ${accounts}) n`;
}
