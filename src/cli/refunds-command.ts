import { auditRefunds, backfillRefunds } from '../adoption/refunds.js';
import { UsageError, type CommandContext } from './context.js';
import { formatTable, progress } from './format.js';

export async function refundsCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    switch (ctx.args[0]) {
      case 'audit': {
        const audit = await auditRefunds(sql);
        ctx.print(audit, () => {
          console.log(`failed tasks never refunded: ${audit.tasks}, users owed: ${audit.users}, credits owed: ${audit.credits}`);
          if (audit.tasks > 0) console.log(`\ntop users by credits owed:\n${formatTable(audit.topUsers)}`);
        });
        return 0;
      }
      case 'backfill': {
        if (!ctx.flags.apply) {
          const rows = await sql`select user_id, credits::int from backfill_missing_refunds(true)`;
          const summary = { dryRun: true, tasks: rows.length, users: new Set(rows.map((r) => r.user_id)).size, credits: rows.reduce((n, r) => n + r.credits, 0) };
          ctx.print(summary, () => {
            console.log(`dry run: would refund ${summary.credits} credits for ${summary.tasks} tasks of ${summary.users} users`);
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
          console.log(`refunded ${result.credits} credits for ${result.tasks} tasks of ${result.users} users in ${result.batches} batches (${seconds.toFixed(1)} s)`);
        });
        return 0;
      }
      default:
        throw new UsageError(`unknown refunds command: ${ctx.args[0] ?? '(none)'}`);
    }
  } finally {
    await sql.end();
  }
}
