// Submitting a generation to WaveSpeed with the credits guarantee: charge (start_generation, with
// the caller's idempotency key), POST the prediction with the webhook URL, record its id
// (mark_generation_submitted). Whenever the POST fails — refused, timed out, a non-2xx answer, a
// body that is not a prediction — the charge is refunded at once (fail_generation, source
// 'api_error') and the caller gets a SubmitFailedError that says so. What happens when the answer
// was lost although the provider may have started the job is in docs/wavespeed.md ("Failure modes").
import type { JsonValue, Sql } from '../client/runtime.js';
import { failGeneration, getCreditBalance, getGeneration, markGenerationSubmitted, startGeneration } from '../generated/client.js';
import { ProviderRequestError, type WaveSpeedApi } from './api.js';

export interface SubmitConfig {
  api: WaveSpeedApi;
  /** Where the provider POSTs the result: your route with wavespeedWebhookRoute behind it. */
  webhookUrl: string;
  /** The provider name recorded on the task (default 'wavespeed'); provider_prices is keyed by it and the model. */
  provider?: string;
  /**
   * How long a retry waits for an earlier attempt with the same idempotency key that has charged
   * but not yet recorded its prediction (it may still be posting): default the API's timeout
   * plus 30 s. Past it, the earlier attempt is taken as dead and the retry posts.
   */
  claimTimeoutMs?: number;
}

export interface SubmitGenerationInput {
  userId: string;
  /** The WaveSpeed model path, e.g. 'google/nano-banana/edit'; recorded as the task's model. */
  model: string;
  /** The prediction's input, sent as the POST body. */
  input: Record<string, unknown>;
  /**
   * The hold: the most the generation may cost, charged now. The webhook or the reconciliation
   * settles it at what the generation used and gives the rest back (contract §11, settlement.ts).
   */
  credits: number;
  /**
   * How many outputs the prediction asks for (a batch), recorded as metadata.outputs_requested:
   * without a creditsUsed option, a completion delivering fewer is settled at
   * credits × delivered ÷ requested (rounded down).
   */
  outputs?: number;
  /** Retries with the same key never charge twice and never post twice once a prediction is recorded. */
  idempotencyKey?: string;
  /**
   * The team whose credits pay (contract §12): userId, a member, generates; the team is charged,
   * its limits and the member's cap apply (LimitReachedError), a non-member gets NotTeamMemberError.
   * Leave it out to charge the user's own account.
   */
  accountId?: string;
  /** The task's type (default 'generate'). */
  taskType?: string;
  metadata?: { [key: string]: JsonValue };
}

export interface SubmittedGeneration {
  taskId: string;
  predictionId: string;
  /** The paying account's balance after the charge (of the first attempt, for a replay): the team's with accountId. */
  balance: number;
  /** True when the idempotency key had been seen: nothing was charged or posted again. */
  replayed: boolean;
  /** processing, or already completed/failed when the provider's webhook came first. */
  status: string;
}

/**
 * The provider refused or could not be reached; the credits were refunded (`refunded`, with the
 * balance afterwards). A retry with the same idempotency key may also say: `already_failed` (the
 * first attempt failed and was refunded), `in_progress` (an earlier attempt may still be posting:
 * nothing refunded, retry later), `already_finished` (the task was completed by other means).
 */
export class SubmitFailedError extends Error {
  readonly taskId: string;
  readonly refunded: boolean;
  readonly refundedCredits: number;
  readonly balance: number | null;
  readonly reason: 'network' | 'timeout' | 'http' | 'malformed' | 'already_failed' | 'already_finished' | 'in_progress';
  /** The provider may have started the job although we have no id for it (docs/wavespeed.md). */
  readonly mayHaveReachedProvider: boolean;

  constructor(message: string, fields: Omit<SubmitFailedError, keyof Error>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubmitFailedError';
    this.taskId = fields.taskId;
    this.refunded = fields.refunded;
    this.refundedCredits = fields.refundedCredits;
    this.balance = fields.balance;
    this.reason = fields.reason;
    this.mayHaveReachedProvider = fields.mayHaveReachedProvider;
  }
}

/**
 * The provider accepted the job, but recording its prediction id failed (the database was
 * unreachable, three times). The credits are still charged and the task is pending: call
 * markGenerationSubmitted(sql, { taskId, externalTaskId: predictionId }) once the database is
 * back, or the sweeper refunds the task after its threshold (its webhook waits in the inbox).
 */
export class SubmissionNotRecordedError extends Error {
  readonly taskId: string;
  readonly predictionId: string;

  constructor(taskId: string, predictionId: string, options?: { cause?: unknown }) {
    super(
      `WaveSpeed accepted prediction ${predictionId} for generation ${taskId}, but recording it failed: record it with markGenerationSubmitted`,
      options,
    );
    this.name = 'SubmissionNotRecordedError';
    this.taskId = taskId;
    this.predictionId = predictionId;
  }
}

async function recordPrediction(sql: Sql, taskId: string, predictionId: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await markGenerationSubmitted(sql, { taskId, externalTaskId: predictionId });
    } catch (error) {
      // A refusal (a CreditsError: the id is taken, the task finished) will not pass on a retry.
      if ((error as { code?: string }).code?.startsWith('CR') || attempt === 3)
        throw new SubmissionNotRecordedError(taskId, predictionId, { cause: error });
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/**
 * Charges, posts, records. Call it outside a transaction: the POST must follow a committed charge
 * (inside one, a rollback would leave a paid prediction with no task), so a TransactionSql is refused.
 */
export async function submitGeneration(sql: Sql, config: SubmitConfig, request: SubmitGenerationInput): Promise<SubmittedGeneration> {
  if (typeof (sql as { savepoint?: unknown }).savepoint === 'function') {
    throw new TypeError('submitGeneration: pass the pool, not a transaction (the charge must commit before the POST)');
  }
  // The body first: an input that cannot be sent (a BigInt, a cycle) is refused before any charge.
  let body: string;
  try {
    body = JSON.stringify(request.input);
  } catch (error) {
    throw new TypeError(`submitGeneration: input cannot be sent as JSON (${(error as Error).message}); nothing was charged`, {
      cause: error,
    });
  }
  if (request.outputs !== undefined && !(Number.isSafeInteger(request.outputs) && request.outputs >= 1 && request.outputs <= 1_000_000)) {
    throw new TypeError(
      `submitGeneration: outputs must be a whole number from 1 to 1,000,000, not ${request.outputs}; nothing was charged`,
    );
  }
  const metadata = request.outputs !== undefined ? { ...(request.metadata ?? {}), outputs_requested: request.outputs } : request.metadata;
  const provider = config.provider ?? 'wavespeed';
  const started = await startGeneration(sql, {
    userId: request.userId,
    taskType: request.taskType ?? 'generate',
    provider,
    model: request.model,
    credits: request.credits,
    ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...(request.accountId !== undefined ? { accountId: request.accountId } : {}),
  });
  const taskId = started.task_id;

  if (started.replayed) {
    const task = await getGeneration(sql, { taskId });
    if (task.external_task_id) {
      return { taskId, predictionId: task.external_task_id, balance: started.balance, replayed: true, status: task.status };
    }
    if (task.status === 'failed') {
      throw new SubmitFailedError(
        `generation ${taskId} already failed (${task.failure_source ?? 'unknown'}): its credits were refunded; submit again with a new idempotency key`,
        {
          taskId,
          refunded: true,
          refundedCredits: task.credits_used,
          balance: null,
          reason: 'already_failed',
          mayHaveReachedProvider: false,
        },
      );
    }
    if (task.status !== 'pending') {
      // Finished without a prediction id: settled by other means (complete_generation called directly); never post it.
      throw new SubmitFailedError(`generation ${taskId} is already ${task.status} without a WaveSpeed prediction; nothing was posted`, {
        taskId,
        refunded: false,
        refundedCredits: 0,
        balance: started.balance,
        reason: 'already_finished',
        mayHaveReachedProvider: false,
      });
    }
    const claim = config.claimTimeoutMs ?? config.api.timeoutMs + 30_000;
    if (task.age_seconds * 1000 < claim) {
      // the database's clock, as the charge's
      throw new SubmitFailedError(`generation ${taskId} is being submitted by an earlier attempt; retry in a moment`, {
        taskId,
        refunded: false,
        refundedCredits: 0,
        balance: started.balance,
        reason: 'in_progress',
        mayHaveReachedProvider: true,
      });
    }
    // The earlier attempt charged and died before recording a prediction: post now.
  }

  let predictionId: string;
  try {
    predictionId = (await config.api.createPrediction(request.model, body, config.webhookUrl)).id;
  } catch (error) {
    if (!(error instanceof ProviderRequestError)) throw error;
    // The provider's answer, if any, is kept in the task's error message (end users never read it).
    const failed = await failGeneration(sql, {
      taskId,
      errorMessage: error.body ? `${error.message}: ${error.body}` : error.message,
      source: 'api_error',
    });
    const credits = `${failed.refunded_credits} credit${failed.refunded_credits === 1 ? '' : 's'}`;
    throw new SubmitFailedError(
      `${error.message}; the generation's ${credits} ${failed.refunded_credits === 1 ? 'was' : 'were'} refunded`,
      {
        taskId,
        refunded: true,
        refundedCredits: failed.refunded_credits,
        balance: failed.balance,
        reason: error.kind,
        mayHaveReachedProvider: error.mayHaveReachedProvider,
      },
      { cause: error },
    );
  }
  const marked = await recordPrediction(sql, taskId, predictionId);
  // An early webhook's failure was applied as the id was recorded: the balance is the refunded one.
  const balance =
    marked.status === 'failed'
      ? (await getCreditBalance(sql, { userId: request.accountId ?? request.userId })).total_credits
      : started.balance;
  return { taskId, predictionId, balance, replayed: started.replayed, status: marked.status };
}
