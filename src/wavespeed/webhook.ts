// The webhook WaveSpeed calls when a prediction finishes, as a Fetch-API handler (Next.js route
// handlers, Hono, Bun, Deno…) and for Express. In this order, and nothing is written before
// the first three pass:
//   1. the body, read up to `maxBodyBytes` (1 MB) and no further, whatever the headers say: 413;
//   2. the signature and timestamp over the raw body (signature.ts): 401 when they fail;
//   3. the body is a prediction (its `id` and `status`): 400 when it is not;
//   4. completed / failed → record_provider_result: the task with that prediction id (the signed
//      body's `id`, never anything unsigned such as the URL) is completed with its result URL and
//      cost (the price table's, unless `costOf` finds one in the payload) and its hold settled
//      at what it used (settlement.ts: `creditsUsed`, or the outputs delivered), or failed and
//      refunded; a result that beats the submission's commit is stored and applied by it;
//      created / processing → acknowledged, nothing written.
// Duplicate and out-of-order deliveries are harmless: each outcome is reported, none raises.
import type { Decimal, JsonValue, Sql } from '../client/runtime.js';
import { CreditsError } from '../errors.js';
import { toExpress } from '../express.js';
import { readAtMost, type RequestBody } from '../request-body.js';
import { parsePrediction, type Prediction } from './api.js';
import { recordSettled, type SettlementOptions } from './settlement.js';
import { verifyWebhookSignature, webhookHeaders } from './signature.js';

export interface WebhookConfig extends SettlementOptions {
  /** The webhook secret (WAVESPEED_WEBHOOK_SECRET), with or without its whsec_ prefix. */
  secret: string;
  /** The provider name the tasks were recorded with (default 'wavespeed'). */
  provider?: string;
  /** The cost of a completed prediction if your payloads carry one (WaveSpeed's documented payload has none): a decimal string or number. */
  costOf?: (prediction: Prediction) => Decimal | number | null | undefined;
  /** Seconds a timestamp may differ from now (default 300). */
  toleranceSeconds?: number;
  /**
   * The largest body accepted, in bytes (default maxWebhookBytes, 1 MB): a larger one is answered
   * 413, its reading stopped at this many bytes, whatever its headers say.
   */
  maxBodyBytes?: number;
}

/** What the handler answered, as its JSON body says. */
export type WebhookOutcome =
  | { ok: true; outcome: string; task_id: string | null; prediction_id: string; status: string | null }
  | { ok: false; code: 'invalid_signature' | 'invalid_payload' | 'invalid_result'; reason: string };

/** What record_provider_result is told of a final prediction: its first output, or its error; the cost when known. */
export function providerResult(
  provider: string,
  prediction: Prediction & { status: 'completed' | 'failed' },
  cost?: Decimal | number | null,
) {
  return {
    provider,
    externalTaskId: prediction.id,
    status: prediction.status,
    ...(cost !== undefined && cost !== null ? { providerCostUsd: String(cost) as Decimal } : {}),
    ...(prediction.status === 'completed' && prediction.outputs[0] ? { resultUrl: prediction.outputs[0] } : {}),
    ...(prediction.status === 'failed' ? { errorMessage: prediction.error || 'the provider reported a failure' } : {}),
  };
}

/** The default of maxBodyBytes: a prediction is a few kB (more with its input repeated). */
export const maxWebhookBytes = 1 << 20;

/** The configured cap; a TypeError for one that is not a positive whole number of bytes. */
function capOf(config: WebhookConfig): number {
  const cap = config.maxBodyBytes ?? maxWebhookBytes;
  if (!Number.isSafeInteger(cap) || cap < 1) throw new TypeError(`maxBodyBytes: a positive whole number of bytes, not ${cap}`);
  return cap;
}

const json = (status: number, body: WebhookOutcome) => Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
const tooLarge = (cap: number) => json(413, { ok: false, code: 'invalid_payload', reason: `the body is larger than ${cap} bytes` });

/**
 * Handles one delivery: its headers and raw body. The core of both handlers. The body is the
 * bytes that arrived, or better the stream they arrive on (a Request's body, a node:http request):
 * it is then read up to the cap and no further.
 */
export async function handleWebhook(
  sql: Sql,
  config: WebhookConfig,
  headers: { get(name: string): string | null },
  raw: RequestBody,
): Promise<Response> {
  const cap = capOf(config);
  const body = await readAtMost(raw, cap);
  if (!body) return tooLarge(cap);
  const verified = await verifyWebhookSignature({
    secret: config.secret,
    ...webhookHeaders(headers),
    body,
    ...(config.toleranceSeconds !== undefined ? { toleranceSeconds: config.toleranceSeconds } : {}),
  });
  if (!verified.ok) return json(401, { ok: false, code: 'invalid_signature', reason: verified.reason });

  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return json(400, { ok: false, code: 'invalid_payload', reason: 'the body is not JSON' });
  }
  const prediction = parsePrediction(document);
  if (!prediction)
    return json(400, {
      ok: false,
      code: 'invalid_payload',
      reason: 'the body is not a prediction: no id, or a status other than created, processing, completed, failed',
    });
  if (prediction.status !== 'completed' && prediction.status !== 'failed') {
    return json(200, { ok: true, outcome: 'acknowledged', task_id: null, prediction_id: prediction.id, status: null });
  }

  const final = prediction as Prediction & { status: 'completed' | 'failed' };
  const cost = final.status === 'completed' ? config.costOf?.(final) : undefined;
  try {
    const recorded = await recordSettled(sql, config, final, {
      ...providerResult(config.provider ?? 'wavespeed', final, cost),
      payload: prediction.raw as { [key: string]: JsonValue },
    });
    return json(200, {
      ok: true,
      outcome: recorded.outcome,
      task_id: recorded.task_id,
      prediction_id: prediction.id,
      status: recorded.status,
    });
  } catch (error) {
    // A result the ledger refuses (CR003: a cost from costOf outside 0..10000) will not pass on a retry either.
    if (error instanceof CreditsError && error.code === 'CR003')
      return json(422, { ok: false, code: 'invalid_result', reason: error.message });
    throw error; // the database is unreachable or failing: a 500, so that a retry may succeed
  }
}

/** The Fetch-API handler: export it as POST from a route (`export const POST = wavespeedWebhookRoute(sql, { secret })`). */
export function wavespeedWebhookRoute(sql: Sql, config: WebhookConfig): (request: Request) => Promise<Response> {
  if (!config.secret) throw new TypeError('wavespeedWebhookRoute: secret is required (WAVESPEED_WEBHOOK_SECRET)');
  const cap = capOf(config);
  return async (request) => {
    if (request.method !== 'POST') return new Response(null, { status: 405, headers: { allow: 'POST' } });
    // Refused unread when the request says its size; otherwise read up to the cap.
    if (Number(request.headers.get('content-length') ?? 0) > cap) return tooLarge(cap);
    return handleWebhook(sql, config, request.headers, request.body ?? new Uint8Array(0));
  };
}

/**
 * The same for Express. Mount it without a body parser (app.post('/webhooks/wavespeed', handler)):
 * it reads the raw body itself, up to its cap. Behind express.raw({ type: 'application/json' })
 * it takes the bytes express.raw read (express.raw's limit first, then its own cap). A
 * body another middleware already parsed (express.json()) is not the bytes that were signed: it
 * is refused with a 401 whose reason says so, and nothing is written.
 */
export function wavespeedWebhookExpress(sql: Sql, config: WebhookConfig) {
  if (!config.secret) throw new TypeError('wavespeedWebhookExpress: secret is required (WAVESPEED_WEBHOOK_SECRET)');
  capOf(config);
  return toExpress(async (request, body) =>
    // A body parsed already is not what was signed (re-serialised JSON): refused, never verified.
    body === null || body === 'parsed'
      ? json(401, {
          ok: false,
          code: 'invalid_signature',
          reason:
            "no raw body: it was parsed before this handler (re-serialised JSON is not what was signed): mount this route before any body parser, or behind express.raw({ type: 'application/json' })",
        })
      : handleWebhook(sql, config, request.headers, body),
  );
}
