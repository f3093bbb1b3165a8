// The WaveSpeed glue end to end, over real HTTP: the fake provider (tools/fake-wavespeed.ts)
// on one port, the package's webhook route on another, a real PostgreSQL behind. One scenario
// per way a submission or a webhook can go: for each, the user's balance, the task's status and
// failure source, the recorded cost and verify_ledger().
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import {
  handleWebhook,
  SubmitFailedError,
  submitGeneration,
  WaveSpeedApi,
  wavespeedWebhookRoute,
  type SubmitConfig,
} from '../../src/wavespeed/index.js';
import type { FakeWaveSpeed } from '../../tools/fake-wavespeed.js';
import { serveFetch } from '../../src/serve-fetch.js';
import type { TestDatabase } from '../helpers/db.js';
import { glueModel, startGlueBench, type GlueBench } from '../helpers/wavespeed.js';
import { newAccount } from '../helpers/ledger.js';
import { lazyBody, streamUntilAnswered } from '../helpers/streaming.js';

const model = glueModel;
let bench: GlueBench;
let db: TestDatabase;
let fake: FakeWaveSpeed;
let config: SubmitConfig;

beforeAll(async () => {
  bench = await startGlueBench({ connections: 6, timeoutMs: 400 });
  ({ db, fake, config } = bench);
});
afterAll(() => bench?.close());
beforeEach(async () => {
  await fake.settled();
});

const submit = (userId: string, extra: { idempotencyKey?: string } = {}) =>
  submitGeneration(db.sql, config, { userId, model, input: { prompt: 'a cat', image: 'https://img.test/cat.png' }, credits: 5, ...extra });
const failure = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected a SubmitFailedError');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(SubmitFailedError);
      return e as SubmitFailedError;
    },
  );
const task = (taskId: string) => client.getGeneration(db.sql, { taskId });
/** `work` as the service role (credits_service), in a transaction of its own. */
const asService = <T>(work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> =>
  db.sql.begin(async (tx) => {
    await tx`set local role credits_service`;
    return work(tx);
  }) as Promise<T>;
const balance = async (userId: string) => (await client.getCreditBalance(db.sql, { userId })).total_credits;
async function sound() {
  expect(await client.verifyLedger(db.sql)).toEqual([]);
}
/** The stored (not yet applied) provider result of a prediction, if any. */
const stored = async (prediction: string) =>
  (
    await db.sql`select status, applied_at is not null as applied, task_id from credits_private.provider_results where external_task_id = ${prediction}`
  )[0];

describe('submitting', () => {
  it("charges, posts, records the prediction; the completed webhook completes it at the price table's cost", async () => {
    const user = await newAccount(db.sql, 'pro');
    const submitted = await submit(user);
    expect(submitted).toMatchObject({ replayed: false, balance: 495, status: 'processing' });
    expect(fake.predictions.get(submitted.predictionId)!.webhook).toBe(config.webhookUrl);
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({
      status: 'completed',
      provider_cost_usd: '0.039000',
      external_task_id: submitted.predictionId,
      result_url: `https://cdn.fake-wavespeed.test/${submitted.predictionId}.png`,
    });
    expect(await balance(user)).toBe(495);
    await sound();
  });

  it.each([
    ['http500', 'http', true],
    ['http400', 'http', false],
    ['malformed', 'malformed', true],
    ['hang-before', 'timeout', true],
  ] as const)('refunds at once when the provider answers %s, and says so', async (behaviour, reason, reached) => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ submit: behaviour });
    const error = await failure(submit(user));
    expect(error).toMatchObject({ refunded: true, refundedCredits: 5, balance: 500, reason, mayHaveReachedProvider: reached });
    expect(error.message).toMatch(/5 credits were refunded/);
    expect(await task(error.taskId)).toMatchObject({ status: 'failed', failure_source: 'api_error', external_task_id: null });
    if (behaviour === 'http400') expect((await task(error.taskId)).error_message).toMatch(/400.*image is required/); // the provider's answer, kept
    expect(await balance(user)).toBe(500);
    await sound();
  });

  it('refunds when the provider cannot be reached at all (connection refused): it never got the request', async () => {
    const closed = await serveFetch(async () => new Response());
    await closed.close(); // a port nothing listens on any more
    const user = await newAccount(db.sql, 'pro');
    const error = await failure(
      submitGeneration(
        db.sql,
        { ...config, api: new WaveSpeedApi({ apiKey: 'k', baseUrl: closed.url, timeoutMs: 400 }) },
        { userId: user, model, input: {}, credits: 5 },
      ),
    );
    expect(error).toMatchObject({ refunded: true, reason: 'network', mayHaveReachedProvider: false, balance: 500 });
    await sound();
  });

  it('a lost answer to a prediction that was created: the user is refunded; the late result is kept, its spend visible', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ submit: 'hang-after' });
    const error = await failure(submit(user));
    expect(error).toMatchObject({ refunded: true, reason: 'timeout', mayHaveReachedProvider: true });
    await fake.settled();
    const [created] = [...fake.predictions.values()].filter((p) => p.status === 'completed' && p.webhook).slice(-1);
    expect(await stored(created!.id)).toEqual({ status: 'completed', applied: false, task_id: null });
    expect(await balance(user)).toBe(500);
    await sound();
    // As docs/wavespeed.md says: not counted yet (a submission may still record it), and the service
    // role reads the count through admin_credit_stats, not the stored results themselves.
    const unmatchedCount = () =>
      asService(
        async (tx) => (await client.adminCreditStats(tx, { from: new Date(Date.now() - 3_600_000) })).unmatched_provider_results.count,
      );
    const before = await unmatchedCount();
    expect(await db.sql`select 1 from monitoring.unmatched_provider_results where external_task_id = ${created!.id}`).toHaveLength(0);
    await expect(asService((tx) => tx`select 1 from credits_private.provider_results`)).rejects.toMatchObject({ code: '42501' });
    // Ten minutes on, no submission has claimed it: monitoring counts it as spend without a task.
    await db.sql`update credits_private.provider_results set received_at = now() - interval '11 minutes' where external_task_id = ${created!.id}`;
    const [unmatched] =
      await db.sql`select model, cost_usd::text from monitoring.unmatched_provider_results where external_task_id = ${created!.id}`;
    expect(unmatched).toEqual({ model, cost_usd: '0.039000' });
    expect(await unmatchedCount()).toBe(before + 1);
  });

  it('a late success after the sweeper refunded: the refund stays, the cost of the generation is recorded as spend without revenue', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'completed', delayMs: 400 });
    const submitted = await submit(user);
    await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where id = ${submitted.taskId}`;
    const swept = await client.expireStaleGenerations(db.sql, { olderThan: '1 hour' });
    expect(swept.map((r) => r.task_id)).toContain(submitted.taskId);
    await fake.settled(); // the provider's webhook arrives after the sweep
    expect(fake.deliveries.find((d) => d.prediction === submitted.predictionId)?.status).toBe(200);
    expect(await task(submitted.taskId)).toMatchObject({ status: 'failed', failure_source: 'timeout', provider_cost_usd: '0.039000' });
    expect(await balance(user)).toBe(500);
    const [late] =
      await db.sql`select provider_cost_usd::text, result_url from credits_private.late_results where task_id = ${submitted.taskId}`;
    expect(late).toEqual({ provider_cost_usd: '0.039000', result_url: `https://cdn.fake-wavespeed.test/${submitted.predictionId}.png` });
    await client.monitoringRefreshRollups(db.sql);
    const [today] = await client.readMonitoringSummary(db.sql, {
      where: { granularity: 'day' },
      orderBy: 'period_start',
      descending: true,
      limit: 1,
    });
    expect(Number(today!.failed_cost_usd)).toBeGreaterThanOrEqual(0.039);
    const stats = await client.adminCreditStats(db.sql);
    expect(stats.totals.failed_cost_usd).toBe(today!.failed_cost_usd);
    // The service role's way to it (docs/wavespeed.md): get_generation, not credits_private.late_results.
    expect(await asService((tx) => client.getGeneration(tx, { taskId: submitted.taskId }))).toMatchObject({
      status: 'failed',
      provider_cost_usd: '0.039000',
    });
    await expect(asService((tx) => tx`select 1 from credits_private.late_results`)).rejects.toMatchObject({ code: '42501' });
    // A second late result of the same task records nothing more.
    expect(await client.completeGeneration(db.sql, { taskId: submitted.taskId, providerCostUsd: '9' })).toMatchObject({
      outcome: 'ignored_already_failed',
    });
    expect(await task(submitted.taskId)).toMatchObject({ provider_cost_usd: '0.039000' });
    await sound();
  });
});

describe('retrying with the same idempotency key', () => {
  it('after a success: returns the recorded prediction, posts nothing, charges nothing', async () => {
    const user = await newAccount(db.sql, 'pro');
    const first = await submit(user, { idempotencyKey: 'req-1' });
    const posted = fake.predictions.size;
    const again = await submit(user, { idempotencyKey: 'req-1' });
    expect(again).toMatchObject({ taskId: first.taskId, predictionId: first.predictionId, replayed: true, balance: 495 });
    expect(fake.predictions.size).toBe(posted);
    expect(await balance(user)).toBe(495);
  });

  it('after a refunded failure: says so and posts nothing', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ submit: 'http500' });
    await failure(submit(user, { idempotencyKey: 'req-2' }));
    const posted = fake.predictions.size;
    const error = await failure(submit(user, { idempotencyKey: 'req-2' }));
    // no balance read on this path (docs/wavespeed.md's example answers it apart: retry with a new key)
    expect(error).toMatchObject({
      reason: 'already_failed',
      refunded: true,
      refundedCredits: 5,
      balance: null,
      mayHaveReachedProvider: false,
    });
    expect(fake.predictions.size).toBe(posted);
    expect(await balance(user)).toBe(500);
  });

  it('while the first attempt may still be posting: refused as in progress; once it is taken as dead, it posts', async () => {
    const user = await newAccount(db.sql, 'pro');
    // The first attempt charged, then died before the POST.
    const charged = await client.startGeneration(db.sql, {
      userId: user,
      taskType: 'generate',
      provider: 'wavespeed',
      model,
      credits: 5,
      idempotencyKey: 'req-3',
    });
    const error = await failure(submit(user, { idempotencyKey: 'req-3' }));
    expect(error).toMatchObject({ reason: 'in_progress', refunded: false });
    await db.sql`update enhancement_tasks set created_at = now() - interval '5 minutes', updated_at = now() - interval '5 minutes' where id = ${charged.task_id}`;
    const retried = await submit(user, { idempotencyKey: 'req-3' });
    expect(retried).toMatchObject({ taskId: charged.task_id, replayed: true, status: 'processing' });
    await fake.settled();
    expect(await task(charged.task_id)).toMatchObject({ status: 'completed' });
    expect(await balance(user)).toBe(495);
    await sound();
  });
});

describe('webhooks', () => {
  it('failed: refunds (source callback)', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'failed' });
    const submitted = await submit(user);
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({
      status: 'failed',
      failure_source: 'callback',
      error_message: 'content policy violation',
      provider_cost_usd: '0.000000',
    });
    expect(await balance(user)).toBe(500);
    await sound();
  });

  it('duplicated and out of order: one charge, one completion, the late status acknowledged only', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'duplicate' }, { webhook: 'out-of-order' });
    const a = await submit(user);
    const b = await submit(user);
    await fake.settled();
    const bodies = fake.deliveries.filter((d) => d.prediction === a.predictionId || d.prediction === b.predictionId);
    expect(bodies.map((d) => d.status)).toEqual([200, 200, 200, 200]);
    expect(await task(a.taskId)).toMatchObject({ status: 'completed' });
    expect(await task(b.taskId)).toMatchObject({ status: 'completed' });
    expect(await balance(user)).toBe(490);
    await sound();
  });

  it('before the submission is recorded: stored, then applied by mark_generation_submitted', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'before-answer' });
    const submitted = await submit(user);
    expect(submitted.status).toBe('completed'); // the stored result was applied as the id was recorded
    expect(await stored(submitted.predictionId)).toEqual({ status: 'completed', applied: true, task_id: submitted.taskId });
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', provider_cost_usd: '0.039000' });
    expect(await balance(user)).toBe(495);
    await sound();
  });

  it.each(['forged', 'stale', 'altered'] as const)('%s: 401 and nothing written', async (behaviour) => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: behaviour });
    const submitted = await submit(user);
    await fake.settled();
    expect(fake.deliveries.filter((d) => d.prediction === submitted.predictionId).map((d) => d.status)).toEqual([401]);
    expect(await task(submitted.taskId)).toMatchObject({ status: 'processing', provider_cost_usd: null });
    expect(await stored(submitted.predictionId)).toBeUndefined();
    expect(await balance(user)).toBe(495);
  });

  it('lost: the task stays in flight (for reconciliation, or the sweeper)', async () => {
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'lost' });
    const submitted = await submit(user);
    await fake.settled();
    expect(fake.predictions.get(submitted.predictionId)!.status).toBe('completed');
    expect(await task(submitted.taskId)).toMatchObject({ status: 'processing' });
  });

  it('answers 400 to a signed body that is not a prediction, 405 to a GET', async () => {
    const route = wavespeedWebhookRoute(db.sql, { secret: fake.secret });
    expect((await route(new Request('http://app/webhooks/wavespeed'))).status).toBe(405);
    const unsigned = await route(
      new Request('http://app/webhooks/wavespeed', { method: 'POST', body: '{"id": "x", "status": "completed"}' }),
    );
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual({ ok: false, code: 'invalid_signature', reason: 'missing_headers' });
  });
});

describe("the webhook route's limits", () => {
  // A chunked body says no length: the cap holds as the bytes arrive. 48 MB offered, at most.
  const hostile = { limit: 48 << 20, chunkBytes: 64 * 1024, paceBytes: 3 << 20, pauseMs: 2, timeoutMs: 60_000 };

  it('refuses a body over 1 MB (413), unread when Content-Length says so, and writes nothing', async () => {
    const route = wavespeedWebhookRoute(db.sql, { secret: fake.secret });
    const big = await route(new Request('http://app/webhooks/wavespeed', { method: 'POST', body: 'x'.repeat((1 << 20) + 1) }));
    expect(big.status).toBe(413);
    const said = lazyBody(48 << 20);
    const announced = await route(
      new Request('http://app/webhooks/wavespeed', {
        method: 'POST',
        headers: { 'content-length': String(48 << 20) },
        body: said.stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(announced.status).toBe(413);
    expect(said.pulled()).toBe(0);
  });

  it('stops reading a body that says no length at the cap: 413 before 2 MB are read (Fetch route, handleWebhook)', async () => {
    const route = wavespeedWebhookRoute(db.sql, { secret: fake.secret });
    const body = lazyBody(48 << 20);
    const refused = await route(
      new Request('http://app/webhooks/wavespeed', { method: 'POST', body: body.stream, duplex: 'half' } as RequestInit),
    );
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(body.pulled()).toBeLessThan(2 << 20);

    const direct = lazyBody(48 << 20);
    const answer = await handleWebhook(db.sql, { secret: fake.secret }, new Headers(), direct.stream);
    expect(answer.status).toBe(413);
    expect(direct.pulled()).toBeLessThan(2 << 20);
  });

  it('over HTTP, chunked: the route served by serveFetch and handleWebhook given a node:http request answer 413 before 2 MB are sent', async () => {
    const served = await streamUntilAnswered(`${bench.receiver.url}/webhooks/wavespeed`, hostile);
    expect(served).toMatchObject({ status: 413, sentAll: false, connection: 'close' });
    expect(served.sentBeforeAnswer).toBeLessThan(2 << 20);

    // docs/wavespeed.md's plain node:http example: the request itself is the body
    let readWhenAnswered = 0;
    const server = createServer(async (req, res) => {
      const answer = await handleWebhook(
        db.sql,
        { secret: fake.secret },
        { get: (name) => (req.headers[name] as string | undefined) ?? null },
        req,
      );
      readWhenAnswered = req.socket.bytesRead;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const plain = await streamUntilAnswered(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, hostile);
      expect(plain).toMatchObject({ status: 413, sentAll: false });
      expect(plain.sentBeforeAnswer).toBeLessThan(2 << 20);
      expect(readWhenAnswered).toBeLessThan(2 << 20); // what the server read, headers included
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes its cap from maxBodyBytes', async () => {
    const route = wavespeedWebhookRoute(db.sql, { secret: fake.secret, maxBodyBytes: 1000 });
    const post = (bytes: number) => route(new Request('http://app/webhooks/wavespeed', { method: 'POST', body: 'x'.repeat(bytes) }));
    expect((await post(1000)).status).toBe(401); // read, then refused for its signature
    const over = await post(1001);
    expect(over.status).toBe(413);
    expect((await over.json()).reason).toMatch(/1000 bytes/);
    for (const maxBodyBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => wavespeedWebhookRoute(db.sql, { secret: fake.secret, maxBodyBytes }), String(maxBodyBytes)).toThrow(TypeError);
    }
  });

  it('a retry of a task completed by other means posts nothing', async () => {
    const userId = await newAccount(db.sql, 'pro');
    const charged = await client.startGeneration(db.sql, {
      userId,
      taskType: 'generate',
      provider: 'wavespeed',
      model,
      credits: 5,
      idempotencyKey: 'other-way',
    });
    await client.completeGeneration(db.sql, { taskId: charged.task_id });
    const posted = fake.predictions.size;
    const error = await failure(submit(userId, { idempotencyKey: 'other-way' }));
    expect(error).toMatchObject({ reason: 'already_finished', refunded: false });
    expect(fake.predictions.size).toBe(posted);
  });
});
