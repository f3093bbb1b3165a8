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

/** The header's problem, if any: a column missing, unknown or given twice. */
function headerProblem(columns: string[]): string | undefined {
  const unknown = columns.filter((c) => !(importColumns as readonly string[]).includes(c));
  const missing = required.filter((r) => !columns.includes(r));
  const twice = columns.filter((c, i) => columns.indexOf(c) !== i);
  const why = [
    ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
    ...(unknown.length ? [`unknown ${unknown.join(', ')}`] : []),
    ...(twice.length ? [`given twice: ${twice.join(', ')}`] : []),
  ];
  return why.length ? `the columns: ${why.join('; ')} (expected ${importColumns.join(', ')})` : undefined;
}

/**
 * Streams the CSV file into the staging table as text (import_problems reads it: each value
 * that does not parse is a problem of its line). The file and its header are read before COPY
 * starts, and an error on either side ends the COPY, so that nothing waits for the other.
 */
async function stageCsv(tx: postgres.TransactionSql, options: ImportOptions, path: string) {
  const problems: ImportProblem[] = [];
  const records = readCsv(path);
  const first = await records.next();
  if (first.done) return { rows: 0, problems: [{ line: 1, userId: null, problem: 'the file is empty: a header line is expected' }] };
  const header = first.value.fields.map((f) => f.trim().toLowerCase());
  const wrong = headerProblem(header);
  if (wrong) return { rows: 0, problems: [{ line: 1, userId: null, problem: wrong }] };
  const copy = await tx`copy credits_private.credit_import_rows
    (import_id, line, user_id, tier, monthly, purchased, promotional, promotional_expires_at, promotional_reason)
    from stdin`.writable();
  const failed = new Promise<never>((_, reject) => copy.once('error', reject));
  failed.catch(() => {}); // awaited below; never an unhandled rejection
  let rows = 0;
  try {
    for await (const record of records) {
      rows++;
      if (rows % 100_000 === 0) options.onProgress?.(rows);
      if (record.fields.length !== header.length) {
        problems.push({ line: record.line, userId: null, problem: `${record.fields.length} fields, the header has ${header.length}` });
        continue;
      }
      if (record.fields.some((f) => f.includes('\u0000'))) {
        problems.push({ line: record.line, userId: null, problem: 'a field holds a NUL character' });
        continue;
      }
      const value = (name: string) => {
        const i = header.indexOf(name);
        return i < 0 || record.fields[i]!.trim() === '' ? null : record.fields[i]!;
      };
      const row = [options.importId, String(record.line), ...importColumns.map(value)];
      if (!copy.write(`${row.map(copyField).join('\t')}\n`)) await Promise.race([once(copy, 'drain'), failed]);
    }
    copy.end();
    await Promise.race([once(copy, 'finish'), failed]);
  } catch (error) {
    copy.destroy(error as Error);
    throw error;
  }
  if (rows >= 100_000 && rows % 100_000 !== 0) options.onProgress?.(rows);
  return { rows, problems };
}

/**
 * The rows of a query over the same database, its columns named as the CSV's header (user_id
 * and tier, and any of the others), staged as text through each row's JSON, as a file's are.
 */
async function stageQuery(tx: postgres.TransactionSql, options: ImportOptions, text: string) {
  const query = text.trim().replace(/;+\s*$/, '');
  const described = await tx.unsafe(`select * from (${query}) yours`).describe();
  const wrong = headerProblem(described.columns.map((c) => c.name));
  if (wrong) return { rows: 0, problems: [{ line: 0, userId: null, problem: `the query's ${wrong}` }] };
  const [count] = await tx.unsafe<{ rows: number }[]>(
    `with staged as (
       insert into credits_private.credit_import_rows
         (import_id, line, user_id, tier, monthly, purchased, promotional, promotional_expires_at, promotional_reason)
       select $1, row_number() over (), j->>'user_id', j->>'tier', j->>'monthly', j->>'purchased', j->>'promotional',
              j->>'promotional_expires_at', j->>'promotional_reason'
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
      // import_balances refuses (CR003) while import_problems finds anything: the list is read
      // only then (a problem of the file's format, seen here, is one already), so that the rows
      // are checked once on the way that imports.
      const problems = async (): Promise<ImportProblem[]> => {
        const found = await tx<{ line: number; user_id: string | null; problem: string }[]>`
          select line::int, user_id, problem from credits_private.import_problems(${options.importId})`;
        const all = [...staged.problems, ...found.map((p) => ({ line: p.line, userId: p.user_id, problem: p.problem }))];
        return all.sort((a, b) => a.line - b.line);
      };
      if (staged.problems.length) throw new Rollback({ ok: false, problems: await problems() });
      const imported = await tx
        .savepoint(
          (sp) => sp<Record<string, string>[]>`
            select accounts::text, accounts_created::text, tiers_kept::text, skipped::text, monthly::text, purchased::text,
                   promotional::text, total::text
              from credits_private.import_balances(${options.importId}, ${options.reason}, ${options.dryRun ?? false})`,
        )
        .catch(async (error: { code?: string }) => {
          const listed = error.code === 'CR003' ? await problems() : [];
          if (listed.length) throw new Rollback({ ok: false, problems: listed });
          throw error;
        });
      const s = imported[0];
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
