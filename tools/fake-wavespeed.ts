// A fake WaveSpeed for the tests and the demo: a node:http server on 127.0.0.1 (a random port)
// with the create and result endpoints, sending webhooks signed as WaveSpeed's docs say. Its
// signing uses node:crypto's createHmac, not the package's verifier, so the two cannot share a
// mistake (and tests/wavespeed/signature.test.ts pins the verifier to an openssl vector).
// Each submission takes the next planned behaviour (plan()), else the default: accepted, then a
// `completed` webhook. It keeps what it generated and what that cost, for the tests to compare
// with the ledger.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../src/serve-fetch.js';

/** How a submission is answered. */
export type SubmitBehaviour =
  | 'accept' // 200 with the prediction
  | 'http500' // 500, no prediction
  | 'http400' // 400, no prediction
  | 'malformed' // 200 with a body that is not JSON (the prediction is created: worst case)
  | 'hang-before' // never answers, creates nothing
  | 'hang-after'; // creates the prediction, never answers

/** What happens after a submission that created a prediction. */
export type WebhookBehaviour =
  | 'completed' // a completed webhook
  | 'failed' // a failed webhook
  | 'lost' // the prediction completes, no webhook is sent
  | 'lost-failed' // the prediction fails, no webhook is sent
  | 'stays-processing' // the prediction never finishes
  | 'duplicate' // the completed webhook twice
  | 'out-of-order' // completed, then a late 'processing'
  | 'before-answer' // the completed webhook is delivered before the submission is answered
  | 'forged' // signed with another secret
  | 'stale' // signed with a timestamp 10 minutes old
  | 'altered'; // the body changed after signing

export interface Plan {
  submit?: SubmitBehaviour;
  webhook?: WebhookBehaviour;
  /** Delay before the webhook, in ms (default 10). */
  delayMs?: number;
  /** How many outputs a completed prediction delivers (default 1; a batch that lost some delivers fewer). */
  outputs?: number;
  /** Fields added to the prediction's document as the provider reports them (e.g. a video's seconds). */
  extra?: Record<string, unknown>;
  /** What this prediction costs, when its model is priced by what it produced (default: the model's price). */
  costUsd?: number;
}

export interface FakePrediction {
  id: string;
  model: string;
  input: unknown;
  status: 'created' | 'processing' | 'completed' | 'failed';
  outputs: string[];
  error: string;
  created_at: string;
  webhook: string | null;
  costUsd: number;
  extra: Record<string, unknown>;
}

export interface WebhookDelivery {
  prediction: string;
  status: number | null;
  body: string;
}

export interface FakeWaveSpeed {
  url: string;
  apiKey: string;
  secret: string;
  predictions: Map<string, FakePrediction>;
  deliveries: WebhookDelivery[];
  /** Behaviours for the next submissions, in order. */
  plan(...plans: Plan[]): void;
  /** What the provider generated (completed predictions) and what it cost, by its price list. */
  generated(): { count: number; costUsd: number };
  /** Resolves when every webhook scheduled so far has been delivered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The provider's price per completed prediction, by model (USD); others cost `defaultPrice`. */
export interface FakeOptions {
  prices?: Record<string, number>;
  defaultPrice?: number;
  apiKey?: string;
  secret?: string;
}

function sign(secret: string, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret.replace(/^whsec_/, ''))
    .update(`${id}.${timestamp}.${body}`)
    .digest('hex');
}

export async function startFakeWaveSpeed(options: FakeOptions = {}): Promise<FakeWaveSpeed> {
  const apiKey = options.apiKey ?? `ws_test_${randomBytes(8).toString('hex')}`;
  const secret = options.secret ?? `whsec_${randomBytes(18).toString('base64')}`;
  const predictions = new Map<string, FakePrediction>();
  const deliveries: WebhookDelivery[] = [];
  const plans: Plan[] = [];
  const pending = new Set<Promise<void>>();
  const hanging = new Set<ServerResponse>();
  const price = (model: string) => options.prices?.[model] ?? options.defaultPrice ?? 0.039;

  // The webhook's body is written with spaces, as Python's json.dumps does: re-serialised JSON differs.
  const document = (p: FakePrediction, status = p.status) =>
    JSON.stringify(
      {
        id: p.id,
        model: p.model,
        input: p.input,
        outputs: status === 'completed' ? p.outputs : [],
        urls: { get: `${server.url}/api/v3/predictions/${p.id}/result` },
        has_nsfw_contents: status === 'completed' ? [false] : [],
        status,
        created_at: p.created_at,
        error: status === 'failed' ? p.error : '',
        ...(status === 'completed' ? p.extra : {}),
      },
      null,
      1,
    ).replace(/\n\s*/g, ' ');

  async function deliver(p: FakePrediction, body: string, how: WebhookBehaviour) {
    if (!p.webhook) return;
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const timestamp = String(Math.floor(Date.now() / 1000) - (how === 'stale' ? 600 : 0));
    const signature = sign(how === 'forged' ? 'whsec_not-the-secret' : secret, id, timestamp, body);
    const sent = how === 'altered' ? body.replace('"completed"', '"failed"') : body;
    let status: number | null = null;
    try {
      const response = await fetch(p.webhook, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': `v3,${signature}`,
        },
        body: sent,
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      await response.text();
    } catch {
      status = null; // the receiver is down: a lost webhook, as far as the ledger knows
    }
    deliveries.push({ prediction: p.id, status, body: sent });
  }

  /** Runs what a prediction does after its submission; returns when its webhooks are sent. */
  async function finish(p: FakePrediction, plan: Plan) {
    const how = plan.webhook ?? 'completed';
    await new Promise((r) => setTimeout(r, plan.delayMs ?? 10));
    if (how === 'stays-processing') {
      p.status = 'processing';
      return;
    }
    const fails = how === 'failed' || how === 'lost-failed';
    p.status = fails ? 'failed' : 'completed';
    if (fails) p.error = 'content policy violation';
    else p.outputs = Array.from({ length: plan.outputs ?? 1 }, (_, i) => `https://cdn.fake-wavespeed.test/${p.id}${i ? `-${i}` : ''}.png`);
    if (how === 'lost' || how === 'lost-failed') return;
    await deliver(p, document(p), how);
    if (how === 'duplicate') await deliver(p, document(p), how);
    if (how === 'out-of-order') await deliver(p, document(p, 'processing'), how);
  }

  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${apiKey}`) return reply(401, { code: 401, message: 'Unauthorized' });

    const result = /^\/api\/v3\/predictions\/([^/]+)\/result$/.exec(url.pathname);
    if (req.method === 'GET' && result) {
      const p = predictions.get(decodeURIComponent(result[1]!));
      if (!p) return reply(404, { code: 404, message: 'prediction not found' });
      return reply(200, { code: 200, message: 'success', data: JSON.parse(document(p)) });
    }
    if (req.method !== 'POST' || !url.pathname.startsWith('/api/v3/')) return reply(404, { code: 404, message: 'not found' });

    const model = url.pathname.slice('/api/v3/'.length).split('/').map(decodeURIComponent).join('/');
    const input: unknown = JSON.parse((await readBody(req)).toString('utf8') || '{}');
    const plan = plans.shift() ?? {};
    const submit = plan.submit ?? 'accept';
    if (submit === 'http500') return reply(500, { code: 500, message: 'internal error' });
    if (submit === 'http400') return reply(400, { code: 400, message: 'invalid input: image is required' });
    if (submit === 'hang-before') return void hanging.add(res);

    const p: FakePrediction = {
      id: `pred_${randomBytes(10).toString('hex')}`,
      model,
      input,
      status: 'created',
      outputs: [],
      error: '',
      created_at: new Date().toISOString(),
      webhook: url.searchParams.get('webhook'),
      costUsd: plan.costUsd ?? price(model),
      extra: plan.extra ?? {},
    };
    predictions.set(p.id, p);
    if (submit === 'hang-after') {
      hanging.add(res);
      return track(finish(p, plan));
    }
    if (submit === 'malformed') {
      track(finish(p, plan));
      return reply(200, '{"code": 200, "data": {"id": ');
    }
    if (plan.webhook === 'before-answer') {
      await finish(p, { ...plan, webhook: 'completed', delayMs: 0 });
      return reply(200, { code: 200, message: 'success', data: JSON.parse(document(p, 'created')) });
    }
    reply(200, { code: 200, message: 'success', data: JSON.parse(document(p)) });
    track(finish(p, plan));
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const server = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    apiKey,
    secret,
    predictions,
    deliveries,
    plan: (...next: Plan[]) => void plans.push(...next),
    generated() {
      const done = [...predictions.values()].filter((p) => p.status === 'completed');
      return { count: done.length, costUsd: Math.round(done.reduce((sum, p) => sum + p.costUsd, 0) * 1e6) / 1e6 };
    },
    async settled() {
      while (pending.size) await Promise.all([...pending]);
    },
    async close() {
      await server.settled();
      for (const res of hanging) res.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}
