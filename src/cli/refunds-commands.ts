// `credits refunds audit|backfill`: the legacy failures never refunded, and their repayment.
import { auditRefunds, backfillRefunds } from '../adoption/refunds.js';
import type { CommandContext } from './context.js';
import { formatTable, plural, progress } from './format.js';

export async function refundsAuditCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const audit = await auditRefunds(sql);
    ctx.print(audit, () => {
      console.log(`failed tasks never refunded: ${audit.tasks}, users owed: ${audit.users}, credits owed: ${String(audit.credits)}`);
      if (audit.tasks > 0) console.log(`\ntop users by credits owed:\n${formatTable(audit.topUsers)}`);
    });
    return 0;
  } finally {
    await sql.end();
  }
}

export async function refundsBackfillCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    if (!ctx.flags.apply) {
      const rows = await sql<{ user_id: string; credits: number | string }[]>`select user_id, credits from backfill_missing_refunds(true)`;
      // credits may be a bigint column (a string from the driver): sum exactly.
      const credits = rows.reduce((n, r) => n + BigInt(r.credits), 0n);
      const summary = { dryRun: true, tasks: rows.length, users: new Set(rows.map((r) => r.user_id)).size, credits };
      ctx.print(summary, () => {
        console.log(`dry run: would refund ${String(credits)} credits for ${summary.tasks} tasks of ${summary.users} users`);
        console.log('nothing was written; run again with --apply to refund');
      });
      return 0;
    }
    const started = Date.now();
    const result = await backfillRefunds(sql, {
      batchSize: ctx.flags.batchSize,
      onProgress: ctx.flags.json ? undefined : progress('refunding'),
    });
    const seconds = (Date.now() - started) / 1000;
    ctx.print({ dryRun: false, ...result, seconds }, () => {
      console.log(
        `refunded ${plural(result.credits, 'credit')} for ${plural(result.tasks, 'task')} of ${plural(result.users, 'user')} in ${plural(result.batches, 'batch', 'batches')} (${seconds.toFixed(1)} s)`,
      );
    });
    return 0;
  } finally {
    await sql.end();
  }
}
