// `credits reconcile`: asks WaveSpeed about the generations in flight for longer than
// --older-than that have a prediction id, and settles them as it answers (src/wavespeed/reconcile.ts).
// It calls the provider over HTTP, so it runs from cron or a worker, not from pg_cron.
import { WaveSpeedApi } from '../wavespeed/api.js';
import { reconcileDefaults, reconcileGenerations } from '../wavespeed/reconcile.js';
import type { CommandContext } from './context.js';
import { progress } from './format.js';

export async function reconcileCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const api = new WaveSpeedApi({
      apiKey: ctx.flags.wavespeed!.apiKey,
      ...(ctx.flags.wavespeed!.baseUrl ? { baseUrl: ctx.flags.wavespeed!.baseUrl } : {}),
    });
    const hardLimitSeconds = ctx.flags.hardLimitSeconds ?? reconcileDefaults.hardLimitSeconds;
    const report = await reconcileGenerations(sql, {
      api,
      hardLimitSeconds,
      ...(ctx.flags.provider ? { provider: ctx.flags.provider } : {}),
      ...(ctx.flags.leaseSeconds ? { leaseSeconds: ctx.flags.leaseSeconds } : {}),
      ...(ctx.flags.olderThanSeconds ? { olderThanSeconds: ctx.flags.olderThanSeconds } : {}),
      ...(ctx.flags.limit ? { limit: ctx.flags.limit } : {}),
      ...(ctx.flags.concurrency ? { concurrency: ctx.flags.concurrency } : {}),
      // A progress line on a terminal only: from cron, one summary line.
      ...(ctx.flags.json || !process.stderr.isTTY ? {} : { onProgress: progress('reconciled') }),
    });
    ctx.print(report, () => {
      const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
      console.log(
        report.checked === 0
          ? 'nothing to reconcile now: no submitted task unchanged for that long is free (a task another run is asking about, or that could not be settled, waits out its lease)'
          : `asked WaveSpeed about ${n(report.checked, 'task')}: ${report.completed} completed (cost recorded), ${report.failed} failed (refunded), ` +
              `${report.expired} expired past ${hardLimitSeconds} s (refunded), ${report.stillProcessing} still processing, ${report.unchanged} settled meanwhile, ${report.errors} not settled (asked again after the lease)`,
      );
      for (const t of report.tasks.filter((x) => x.outcome === 'error')) console.log(`  ${t.taskId} (${t.predictionId}): ${t.detail}`);
    });
    return report.errors > 0 ? 1 : 0;
  } finally {
    await sql.end();
  }
}
