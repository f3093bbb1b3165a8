// WaveSpeed's prediction API over `fetch`, as its public docs describe it ("What are
// Predictions", "How to Get Result"): POST /api/v3/<model path>?webhook=<url> with a Bearer key
// creates a prediction (the answer's `data` holds its `id` and `status`); GET
// /api/v3/predictions/<id>/result reads it. Statuses: created → processing → completed | failed.
// Every way a request can go wrong is one ProviderRequestError whose `kind` says whether the
// request may have reached the provider (the submit path refunds either way; see submit.ts).

export type PredictionStatus = 'created' | 'processing' | 'completed' | 'failed';

export interface Prediction {
  id: string;
  status: PredictionStatus;
  model?: string;
  /** Result URLs, when completed. */
  outputs: string[];
  /** The provider's error text, when failed ('' otherwise). */
  error: string;
  /** The document as the provider sent it. */
  raw: Record<string, unknown>;
}

export interface WaveSpeedApiOptions {
  apiKey: string;
  /** Default https://api.wavespeed.ai. */
  baseUrl?: string;
  /** How long a request may take before it is given up, in ms (default 30,000). */
  timeoutMs?: number;
  /** Another fetch (tests, instrumentation); default the runtime's. */
  fetch?: typeof fetch;
}

/**
 * Why a request to the provider failed:
 * - 'network': the connection failed (refused or unknown host: never reached; reset or closed
 *   after the request was sent: may have reached it);
 * - 'timeout': no answer in time — the request may have reached the provider;
 * - 'http': the provider answered with a status other than 2xx (`status`, `body`);
 * - 'malformed': a 2xx answer that is not a prediction (not JSON, no id or status).
 */
export class ProviderRequestError extends Error {
  readonly kind: 'network' | 'timeout' | 'http' | 'malformed';
  readonly status: number | undefined;
  readonly body: string | undefined;
  /** The provider may have created the prediction although no id came back (worst case assumed). */
  readonly mayHaveReachedProvider: boolean;

  constructor(
    kind: ProviderRequestError['kind'],
    message: string,
    options: { status?: number; body?: string; cause?: unknown; reached?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderRequestError';
    this.kind = kind;
    this.status = options.status;
    this.body = options.body;
    this.mayHaveReachedProvider = options.reached ?? (kind !== 'http' || (options.status ?? 0) >= 500);
  }
}

// Connection errors after which the request certainly never reached the provider.
const neverSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL']);
const causeCode = (error: unknown): string | undefined => {
  for (let e = error as { code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
};

const statuses = new Set<PredictionStatus>(['created', 'processing', 'completed', 'failed']);

/** A prediction from a document: the answer's `data`, or a webhook's body itself. Undefined when it is not one. */
export function parsePrediction(document: unknown): Prediction | undefined {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return undefined;
  const data = (document as Record<string, unknown>).data;
  const raw = (data !== null && typeof data === 'object' && !Array.isArray(data) ? data : document) as Record<string, unknown>;
  const { id, status } = raw;
  if (
    typeof id !== 'string' ||
    id.trim() === '' ||
    id.length > 500 ||
    typeof status !== 'string' ||
    !statuses.has(status as PredictionStatus)
  )
    return undefined;
  const outputs = Array.isArray(raw.outputs) ? raw.outputs.filter((o): o is string => typeof o === 'string') : [];
  return {
    id,
    status: status as PredictionStatus,
    ...(typeof raw.model === 'string' ? { model: raw.model } : {}),
    outputs,
    error: typeof raw.error === 'string' ? raw.error : '',
    raw,
  };
}

export class WaveSpeedApi {
  readonly baseUrl: string;
  private readonly apiKey: string;
  /** How long a request may take, in ms. */
  readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: WaveSpeedApiOptions) {
    if (!options.apiKey) throw new TypeError('WaveSpeedApi: apiKey is required (WAVESPEED_API_KEY)');
    this.apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? 'https://api.wavespeed.ai').replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetch = options.fetch ?? fetch;
  }

  /**
   * Creates a prediction of `model` (a path such as 'google/nano-banana/edit') from `input` (an
   * object, or its JSON text); the provider POSTs its result to `webhookUrl`.
   */
  createPrediction(model: string, input: Record<string, unknown> | string, webhookUrl?: string): Promise<Prediction> {
    const path = model.split('/').map(encodeURIComponent).join('/');
    const query = webhookUrl ? `?webhook=${encodeURIComponent(webhookUrl)}` : '';
    return this.request('POST', `/api/v3/${path}${query}`, typeof input === 'string' ? input : JSON.stringify(input));
  }

  /** Reads a prediction: its status, and its outputs once completed. */
  getResult(predictionId: string): Promise<Prediction> {
    return this.request('GET', `/api/v3/predictions/${encodeURIComponent(predictionId)}/result`);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: string): Promise<Prediction> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ProviderRequestError('timeout', `WaveSpeed did not answer ${method} ${path.split('?')[0]} within ${this.timeoutMs} ms`, {
          cause: error,
        });
      }
      const code = causeCode(error);
      throw new ProviderRequestError('network', `WaveSpeed could not be reached: ${code ?? (error as Error).message}`, {
        cause: error,
        reached: !neverSent.has(code ?? ''),
      });
    }
    if (!response.ok) {
      throw new ProviderRequestError('http', `WaveSpeed answered ${response.status} to ${method} ${path.split('?')[0]}`, {
        status: response.status,
        body: text.slice(0, 2000),
      });
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new ProviderRequestError('malformed', 'WaveSpeed answered with a body that is not JSON', {
        status: response.status,
        body: text.slice(0, 2000),
        cause: error,
      });
    }
    const prediction = parsePrediction(document);
    if (!prediction)
      throw new ProviderRequestError('malformed', 'WaveSpeed answered without a prediction id and status', {
        status: response.status,
        body: text.slice(0, 2000),
      });
    return prediction;
  }
}
