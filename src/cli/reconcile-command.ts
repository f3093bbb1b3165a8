// `credits reconcile`: asks WaveSpeed about the generations in flight for longer than
// --older-than that have a prediction id, and settles them as it answers (src/wavespeed/reconcile.ts).
// It calls the provider over HTTP, so it runs from cron or a worker, not from pg_cron.
import { WaveSpeedApi } from '../wavespeed/api.js';
import { reconcileGenerations } from '../wavespeed/reconcile.js';
import type { CommandContext } from './context.js';
import { progress } from './format.js';

export async function reconcileCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const api = new WaveSpeedApi({ apiKey: ctx.flags.wavespeed!.apiKey, ...(ctx.flags.wavespeed!.baseUrl ? { baseUrl: ctx.flags.wavespeed!.baseUrl } : {}) });
    const hardLimitSeconds = ctx.flags.hardLimitSeconds ?? 1200;
    const report = await reconcileGenerations(sql, {
      api,
      ...(ctx.flags.provider ? { provider: ctx.flags.provider } : {}),
      olderThanSeconds: ctx.flags.olderThanSeconds ?? 120,
      hardLimitSeconds,
      limit: ctx.flags.limit ?? 500,
      concurrency: ctx.flags.concurrency ?? 8,
      // A progress line on a terminal only: from cron, one summary line.
      ...(ctx.flags.json || !process.stderr.isTTY ? {} : { onProgress: progress('reconciled') }),
    });
    ctx.print(report, () => {
      console.log(report.checked === 0 ? 'nothing to reconcile: no submitted task has been in flight that long'
        : `asked WaveSpeed about ${report.checked} tasks: ${report.completed} completed (cost recorded), ${report.failed} failed (refunded), `
          + `${report.expired} expired past ${hardLimitSeconds} s (refunded), ${report.stillProcessing} still processing, ${report.unchanged} settled meanwhile, ${report.errors} could not be asked`);
      for (const t of report.tasks.filter((x) => x.outcome === 'error')) console.log(`  ${t.taskId} (${t.predictionId}): ${t.detail}`);
    });
    return report.errors > 0 ? 1 : 0;
  } finally {
    await sql.end();
  }
}
