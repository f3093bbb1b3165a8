// `credits import`: opening balances from another system, from a CSV file or from a query over
// the same database (an app's own credits tables, renamed), in one transaction: the rows are
// streamed into credits_private.credit_import_rows (COPY), checked all at once
// (credits_private.import_problems: every problem with its line), then written by
// credits_private.import_balances; a problem anywhere, or a dry run, rolls everything back.
import { once } from 'node:events';
import type postgres from 'postgres';
import { readCsv } from './csv.js';

export const importColumns = [
  'user_id',
  'tier',
  'monthly',
  'purchased',
  'promotional',
  'promotional_expires_at',
  'promotional_reason',
] as const;
const required = ['user_id', 'tier'];

export type ImportSource = { csv: string } | { query: string };

export interface ImportOptions {
  /** Names the import: running it again brings nothing twice. */
  importId: string;
  /** Written in the description of every ledger row it makes. */
  reason: string;
  source: ImportSource;
  dryRun?: boolean;
  /** Called as rows are read. */
  onProgress?: (rows: number) => void;
}

export interface ImportProblem {
  line: number;
  userId: string | null;
  problem: string;
}

export interface ImportSummary {
  rows: number;
  accounts: number;
  accountsCreated: number;
  tiersKept: number;
  skipped: number;
  monthly: bigint;
  purchased: bigint;
  promotional: bigint;
  total: bigint;
}

export type ImportResult = { ok: true; dryRun: boolean; summary: ImportSummary } | { ok: false; problems: ImportProblem[] };

/** Thrown inside the transaction to roll it back, carrying what to report. */
class Rollback extends Error {
  constructor(readonly result: ImportResult) {
    super('rolled back');
  }
}

/** COPY's text format: backslash, tab, line breaks escaped; \N is null. */
const copyField = (value: string | null) =>
  value === null ? '\\N' : value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One CSV record as the staging table's row, or what is wrong with its format. */
function stagedRow(header: string[], fields: string[]): { row: (string | null)[] } | { problem: string } {
  if (fields.length !== header.length) return { problem: `${fields.length} fields, the header has ${header.length}` };
  const value = (name: string) => {
    const i = header.indexOf(name);
    const text = i < 0 ? '' : fields[i]!.trim();
    return text === '' ? null : text;
  };
  const problems: string[] = [];
  const userId = value('user_id');
  if (userId !== null && !uuidPattern.test(userId)) problems.push(`user_id ${JSON.stringify(userId)} is not a UUID`);
  const amounts = ['monthly', 'purchased', 'promotional'].map((name) => {
    const text = value(name) ?? '0';
    if (!/^-?\d{1,15}$/.test(text)) problems.push(`${name} ${JSON.stringify(text)} is not a whole number of credits`);
    return text;
  });
  let expiry = value('promotional_expires_at');
  if (expiry !== null) {
    const at = Date.parse(expiry);
    if (Number.isNaN(at)) problems.push(`promotional_expires_at ${JSON.stringify(expiry)} is not a date and time`);
    else expiry = new Date(at).toISOString();
  }
  if (problems.length) return { problem: problems.join('; ') };
  return { row: [userId, value('tier'), ...amounts, expiry, value('promotional_reason')] };
}

/** Streams the CSV file into the staging table; returns the rows read and the format problems. */
async function stageCsv(tx: postgres.TransactionSql, options: ImportOptions, path: string) {
  const problems: ImportProblem[] = [];
  const copy = await tx`copy credits_private.credit_import_rows
    (import_id, line, user_id, tier, monthly, purchased, promotional, promotional_expires_at, promotional_reason)
    from stdin`.writable();
  let header: string[] | undefined;
  let rows = 0;
  for await (const record of readCsv(path)) {
    if (!header) {
      header = record.fields.map((f) => f.trim().toLowerCase());
      const unknown = header.filter((h) => !(importColumns as readonly string[]).includes(h));
      const missing = required.filter((r) => !header!.includes(r));
      if (unknown.length || missing.length) {
        copy.destroy();
        const why = [
          ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
          ...(unknown.length ? [`unknown ${unknown.join(', ')}`] : []),
        ].join('; ');
        return {
          rows,
          problems: [{ line: 1, userId: null, problem: `the header's columns: ${why} (expected ${importColumns.join(', ')})` }],
        };
      }
      continue;
    }
    rows++;
    if (rows % 100_000 === 0) options.onProgress?.(rows);
    const staged = stagedRow(header, record.fields);
    if ('problem' in staged) {
      problems.push({ line: record.line, userId: null, problem: staged.problem });
      continue;
    }
    const text = `${[options.importId, String(record.line), ...staged.row].map(copyField).join('\t')}\n`;
    if (!copy.write(text)) await once(copy, 'drain');
  }
  copy.end();
  await once(copy, 'finish');
  if (!header) problems.push({ line: 1, userId: null, problem: 'the file is empty: a header line is expected' });
  if (rows >= 100_000 && rows % 100_000 !== 0) options.onProgress?.(rows);
  return { rows, problems };
}

/**
 * The rows of a query over the same database, its columns named as the CSV's header (any of
 * them but user_id and tier may be left out: read through each row's JSON, by name).
 */
async function stageQuery(tx: postgres.TransactionSql, options: ImportOptions, query: string) {
  const [count] = await tx.unsafe<{ rows: number }[]>(
    `with staged as (
       insert into credits_private.credit_import_rows
         (import_id, line, user_id, tier, monthly, purchased, promotional, promotional_expires_at, promotional_reason)
       select $1, row_number() over (), (j->>'user_id')::uuid, j->>'tier', coalesce((j->>'monthly')::bigint, 0),
              coalesce((j->>'purchased')::bigint, 0), coalesce((j->>'promotional')::bigint, 0),
              (j->>'promotional_expires_at')::timestamptz, j->>'promotional_reason'
         from (select to_jsonb(yours) as j from (${query}) yours) q
       returning 1)
     select count(*)::int as rows from staged`,
    [options.importId],
  );
  return { rows: count!.rows, problems: [] as ImportProblem[] };
}

export async function importBalances(sql: postgres.Sql, options: ImportOptions): Promise<ImportResult> {
  try {
    return await sql.begin(async (tx): Promise<ImportResult> => {
      const staged =
        'csv' in options.source ? await stageCsv(tx, options, options.source.csv) : await stageQuery(tx, options, options.source.query);
      const found = await tx<{ line: number; user_id: string | null; problem: string }[]>`
        select line::int, user_id, problem from credits_private.import_problems(${options.importId})`;
      const problems = [...staged.problems, ...found.map((p) => ({ line: p.line, userId: p.user_id, problem: p.problem }))].sort(
        (a, b) => a.line - b.line,
      );
      if (problems.length) throw new Rollback({ ok: false, problems });
      const [s] = await tx<Record<string, string>[]>`
        select accounts::text, accounts_created::text, tiers_kept::text, skipped::text, monthly::text, purchased::text,
               promotional::text, total::text
          from credits_private.import_balances(${options.importId}, ${options.reason}, ${options.dryRun ?? false})`;
      const summary: ImportSummary = {
        rows: staged.rows,
        accounts: Number(s!.accounts),
        accountsCreated: Number(s!.accounts_created),
        tiersKept: Number(s!.tiers_kept),
        skipped: Number(s!.skipped),
        monthly: BigInt(s!.monthly!),
        purchased: BigInt(s!.purchased!),
        promotional: BigInt(s!.promotional!),
        total: BigInt(s!.total!),
      };
      if (options.dryRun) throw new Rollback({ ok: true, dryRun: true, summary });
      return { ok: true, dryRun: false, summary };
    });
  } catch (error) {
    if (error instanceof Rollback) return error.result;
    throw error;
  }
}
