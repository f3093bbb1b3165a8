// `credits import <import-id> --csv FILE | --from-sql QUERY --reason TEXT [--dry-run]`: opening
// balances from another system (src/adoption/import.ts). Exit 1 with every problem, by line,
// when a row is refused: nothing is written then.
import { importBalances } from '../adoption/import.js';
import type { CommandContext } from './context.js';
import { plural } from './format.js';

export async function importCommand(ctx: CommandContext): Promise<number> {
  const [importId] = ctx.args as [string];
  const sql = ctx.connect();
  try {
    const started = Date.now();
    const onProgress = ctx.flags.json
      ? undefined
      : (rows: number) => process.stderr.write(process.stderr.isTTY ? `\rread ${rows} rows` : `read ${rows} rows\n`);
    const result = await importBalances(sql, {
      importId,
      reason: ctx.flags.reason!,
      source: ctx.flags.importCsv !== undefined ? { csv: ctx.flags.importCsv } : { query: ctx.flags.importQuery! },
      dryRun: ctx.flags.dryRun ?? false,
      ...(onProgress ? { onProgress } : {}),
    });
    if (process.stderr.isTTY && onProgress) process.stderr.write('\n');
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    if (!result.ok) {
      ctx.print({ importId, ok: false, problems: result.problems }, () => {
        console.error(`credits: import ${importId} refused, nothing was written: ${plural(result.problems.length, 'problem')}`);
        for (const p of result.problems.slice(0, 1000)) console.error(`  line ${p.line}: ${p.problem}`);
        if (result.problems.length > 1000) console.error(`  … and ${result.problems.length - 1000} more (--json lists them all)`);
      });
      return 1;
    }
    const s = result.summary;
    ctx.print({ importId, ok: true, dryRun: result.dryRun, ...s, seconds }, () => {
      const verb = result.dryRun ? 'would import' : 'imported';
      console.log(
        `${result.dryRun ? 'dry run: ' : ''}${verb} ${plural(s.accounts, 'account')} (${s.accountsCreated} new) in ${seconds} s: ` +
          `${String(s.monthly)} monthly, ${String(s.purchased)} purchased, ${String(s.promotional)} promotional credits, ${String(s.total)} in all`,
      );
      if (s.skipped) console.log(`  ${plural(s.skipped, 'account')} brought by import ${importId} already: skipped`);
      if (s.tiersKept) console.log(`  ${plural(s.tiersKept, 'existing account')} kept its own tier (the file says another)`);
      if (result.dryRun) console.log('nothing was written; run again without --dry-run to import');
    });
    return 0;
  } finally {
    await sql.end();
  }
}
