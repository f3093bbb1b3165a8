// Reconcile before refunding: for tasks in flight longer than a short threshold that have a
// prediction id, ask WaveSpeed for the result before anything refunds them. completed →
// completed with its cost and its hold settled as the webhook settles it (settlement.ts: a lost
// webhook must not give the image away, hide its cost, or keep what it did not use);
// failed → failed and refunded; still created/processing → left alone until `hardLimitSeconds`,
// then expired and refunded (source 'timeout'). Tasks without a prediction id are the sweeper's,
// as before; the documented schedule runs the sweeper with a threshold above the hard limit, so
// it only refunds what this could not settle. Bounded concurrency, a per-run limit, and leases
// (claim_generations_to_reconcile) so two schedulers at once ask about different tasks.
import type { Sql } from '../client/runtime.js';
import { InvalidArgumentError } from '../errors.js';
import { claimGenerationsToReconcile, failGeneration } from '../generated/client.js';
import type { WaveSpeedApi } from './api.js';
import { recordSettled, type SettlementOptions } from './settlement.js';
import { providerResult } from './webhook.js';

export interface ReconcileOptions extends SettlementOptions {
  api: WaveSpeedApi;
  /** The provider name the tasks were recorded with (default 'wavespeed'). */
  provider?: string;
  /** Ask about tasks unchanged for longer than this, in seconds (default 120; at least 1). */
  olderThanSeconds?: number;
  /** Expire and refund a task the provider still has in flight after this long, in seconds (default 1200: 20 minutes). */
  hardLimitSeconds?: number;
  /** At most this many tasks per run, 1 to 10000 (default 500). */
  limit?: number;
  /** Requests to the provider at once, 1 to 64 (default 8). */
  concurrency?: number;
  /** How long a task asked about is left to this run, in seconds, 1 to 86400 (default 4 × the API's timeout, at least 60): tasks are claimed `concurrency` at a time, each leased while it is asked about. */
  leaseSeconds?: number;
  /** Called after each task, for a progress line. */
  onProgress?: (done: number, total: number) => void;
}

/** The defaults of ReconcileOptions (and of `credits reconcile`). */
export const reconcileDefaults = { olderThanSeconds: 120, hardLimitSeconds: 1200, limit: 500, concurrency: 8 } as const;

export type ReconcileOutcome = 'completed' | 'failed' | 'expired' | 'still_processing' | 'unchanged' | 'error';

export interface ReconcileReport {
  checked: number;
  completed: number;
  failed: number;
  expired: number;
  stillProcessing: number;
  /** The task had changed meanwhile (a webhook arrived): nothing to do. */
  unchanged: number;
  /** The provider could not be asked, or its answer recorded (asked again after the lease, or swept). */
  errors: number;
  tasks: { taskId: string; predictionId: string; outcome: ReconcileOutcome; detail?: string }[];
}

type ClaimedTask = Awaited<ReturnType<typeof claimGenerationsToReconcile>>[number];

/** The claim's arguments that are options of another name here (the others keep theirs). */
const optionOf: Record<string, string> = { olderThan: 'olderThanSeconds', lease: 'leaseSeconds' };

/** A refused argument of the claim, named as the caller's option (olderThanSeconds, not olderThan). */
function asOptions(error: unknown): unknown {
  if (!(error instanceof InvalidArgumentError)) return error;
  const rename = (text: string) => text.replace(/\b(olderThan|lease)\b/g, (key) => optionOf[key]!);
  return new InvalidArgumentError(
    { code: error.code, message: rename(error.message), detail: error.detail, hint: error.hint },
    { cause: error.cause, ...(error.parameter ? { parameter: optionOf[error.parameter] ?? error.parameter } : {}) },
  );
}

/** Which count of the report each outcome adds to. */
const counters = {
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  still_processing: 'stillProcessing',
  unchanged: 'unchanged',
  error: 'errors',
} as const;

export async function reconcileGenerations(sql: Sql, options: ReconcileOptions): Promise<ReconcileReport> {
  const provider = options.provider ?? 'wavespeed';
  const hardLimit = options.hardLimitSeconds ?? reconcileDefaults.hardLimitSeconds;
  const limit = options.limit ?? reconcileDefaults.limit;
  const concurrency = options.concurrency ?? reconcileDefaults.concurrency;
  // This function's own options, checked by their own names: the seconds become interval text
  // here, and the claims take min(concurrency, what is left of limit), never limit itself.
  const refuse = (key: string, rule: string, value: unknown) =>
    new InvalidArgumentError({ code: 'CR003', message: `${key} ${rule}`, detail: `${key} was ${String(value)}.` }, { parameter: key });
  for (const key of ['olderThanSeconds', 'leaseSeconds'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 1)) throw refuse(key, 'must be a number of seconds, at least 1', value);
  }
  for (const [key, value, max] of [
    ['limit', limit, 10_000],
    ['concurrency', concurrency, 64],
  ] as const) {
    if (!(Number.isInteger(value) && value >= 1 && value <= max)) throw refuse(key, `must be between 1 and ${max}`, value);
  }
  const olderThan = `${options.olderThanSeconds ?? reconcileDefaults.olderThanSeconds} seconds`;
  // Longer than one answer takes; should one outlast it, another run may ask about the same task
  // again (harmless: a result applies once).
  const lease = `${options.leaseSeconds ?? Math.max(60, Math.ceil(options.api.timeoutMs / 1000) * 4)} seconds`;
  // A run claims as many tasks as it asks about at once, then the next ones: each is leased only
  // while this run is asking about it, so a run that takes long (a slow provider, many tasks)
  // never holds tasks it has not reached, and a run started meanwhile takes those.
  const claim = (count: number) =>
    claimGenerationsToReconcile(sql, { provider, olderThan, limit: count, lease }).catch((error: unknown) => {
      throw asOptions(error);
    });
  const report: ReconcileReport = {
    checked: 0,
    completed: 0,
    failed: 0,
    expired: 0,
    stillProcessing: 0,
    unchanged: 0,
    errors: 0,
    tasks: [],
  };

  /** One task; a failure to ask the provider or to record its answer is an 'error' for this task only. */
  async function reconcile(task: ClaimedTask): Promise<{ outcome: ReconcileOutcome; detail?: string }> {
    try {
      return await settle(task);
    } catch (error) {
      return { outcome: 'error', detail: (error as Error).message };
    }
  }

  async function settle(task: ClaimedTask): Promise<{ outcome: ReconcileOutcome; detail?: string }> {
    const prediction = await options.api.getResult(task.external_task_id);
    if (prediction.status === 'completed' || prediction.status === 'failed') {
      const final = { ...prediction, status: prediction.status };
      const recorded = await recordSettled(sql, options, final, {
        ...providerResult(provider, final),
        payload: { source: 'reconciliation', status: prediction.status },
      });
      const applied = recorded.outcome === 'completed' || recorded.outcome === 'refunded';
      return { outcome: applied ? prediction.status : 'unchanged' };
    }
    if (task.in_flight_seconds < hardLimit) return { outcome: 'still_processing' };
    const expired = await failGeneration(sql, {
      taskId: task.task_id,
      errorMessage: `still ${prediction.status} at the provider after ${Math.round(task.in_flight_seconds)} s (reconciliation's limit ${hardLimit} s)`,
      source: 'timeout',
    });
    return { outcome: expired.outcome === 'refunded' ? 'expired' : 'unchanged' };
  }

  // Claimed in batches of `concurrency` until `limit` tasks were taken or none is left; a task
  // this run already asked about (its lease over, still processing) is not asked again.
  const seen = new Set<string>();
  while (seen.size < limit) {
    const batch = (await claim(Math.min(concurrency, limit - seen.size))).filter((task) => !seen.has(task.task_id));
    if (batch.length === 0) break;
    for (const task of batch) seen.add(task.task_id);
    await Promise.all(
      batch.map(async (task) => {
        const { outcome, detail } = await reconcile(task);
        report[counters[outcome]]++;
        report.checked++;
        report.tasks.push({ taskId: task.task_id, predictionId: task.external_task_id, outcome, ...(detail ? { detail } : {}) });
        options.onProgress?.(report.checked, seen.size);
      }),
    );
  }
  return report;
}
