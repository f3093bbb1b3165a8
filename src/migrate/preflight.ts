// What a deploy checks and holds before it writes anything.
import type pg from 'pg';

/**
 * The package needs a UTF8 database: its blank-text rule trims Unicode white space
 * (credits_private.require_text), which a SQL_ASCII or LATIN1 database cannot hold; there the
 * functions would install and then fail on their first call. Refused before anything is written.
 */
export async function requireUtf8(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ encoding: string; name: string }>(
    'select getdatabaseencoding() as encoding, current_database() as name',
  );
  const { encoding, name } = rows[0]!;
  if (encoding === 'UTF8') return;
  throw Object.assign(new Error(`database ${name} is encoded ${encoding}: the credits ledger needs a UTF8 database`), {
    hint: `create one with: createdb -E UTF8 -T template0 --lc-collate=C --lc-ctype=C ${name}_utf8 (then move your data there)`,
  });
}

/**
 * Holds the lock monitoring.refresh_rollups takes, for the whole deploy: a refresh running now is
 * waited for, and none starts until the deploy has applied its migrations and definitions (a
 * refresh between the two would recompute the rollups with the previous release's functions,
 * after a migration such as 0024 asked for a recomputation with the new ones). Released when the
 * deploy's connection closes.
 */
export async function holdRollupRefresh(client: pg.ClientBase, log: (line: string) => void): Promise<void> {
  const key = "hashtext('monitoring.refresh_rollups')";
  const { rows } = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${key}) as ok`);
  if (rows[0]!.ok) return;
  log('waiting for a running monitoring.refresh_rollups() to finish');
  await client.query(`select pg_advisory_lock(${key})`);
}
