// The webhook handler in a real Express app: mounted without a body parser it reads the body
// itself, stopping at its cap; with express.raw({ type: 'application/json' }) it verifies the
// bytes that were signed; behind express.json() the body arrives parsed, which is not what was
// signed: 401, with the fix in the reason, and nothing written.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { submitGeneration, WaveSpeedApi, wavespeedWebhookExpress } from '../../src/wavespeed/index.js';
import { startFakeWaveSpeed, type FakeWaveSpeed } from '../../tools/fake-wavespeed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { newAccount } from '../helpers/ledger.js';
import { streamUntilAnswered } from '../helpers/streaming.js';

let db: TestDatabase;
let fake: FakeWaveSpeed;
let server: Server;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
  fake = await startFakeWaveSpeed();
  const app = express();
  app.post('/bare/webhooks/wavespeed', wavespeedWebhookExpress(db.sql, { secret: fake.secret }));
  app.post('/raw/webhooks/wavespeed', express.raw({ type: 'application/json' }), wavespeedWebhookExpress(db.sql, { secret: fake.secret }));
  app.post('/parsed/webhooks/wavespeed', express.json(), wavespeedWebhookExpress(db.sql, { secret: fake.secret }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fake?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await db?.drop();
});

const submit = (userId: string, mount: 'bare' | 'raw' | 'parsed') =>
  submitGeneration(
    db.sql,
    {
      api: new WaveSpeedApi({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2000 }),
      webhookUrl: `${base}/${mount}/webhooks/wavespeed`,
    },
    { userId, model: 'google/nano-banana/edit', input: { prompt: 'x' }, credits: 3 },
  );

describe('wavespeedWebhookExpress', () => {
  it('without a body parser: reads the body itself, verifies and completes the task', async () => {
    const user = await newAccount(db.sql, 'pro');
    const { taskId, predictionId } = await submit(user, 'bare');
    await fake.settled();
    expect(fake.deliveries.find((d) => d.prediction === predictionId)?.status).toBe(200);
    expect((await client.getGeneration(db.sql, { taskId })).status).toBe('completed');
  });

  it('without a body parser: stops reading a chunked body at the cap, 413 before 2 MB are sent', async () => {
    const answer = await streamUntilAnswered(`${base}/bare/webhooks/wavespeed`, {
      headers: { 'content-type': 'application/json' },
      limit: 48 << 20,
      chunkBytes: 64 * 1024,
      paceBytes: 3 << 20,
      pauseMs: 2,
      timeoutMs: 60_000,
    });
    // closed after the answer: the unread rest would otherwise be taken for the next request
    expect(answer).toMatchObject({ status: 413, sentAll: false, connection: 'close' });
    expect(answer.sentBeforeAnswer).toBeLessThan(2 << 20);
  });

  it('closes the connection of a body left unread, so that a pooled next request is not reset', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 }); // a pooling proxy's one upstream connection
    const post = (body: Buffer, chunked: boolean) =>
      new Promise<number | string>((resolve) => {
        const target = new URL(`${base}/bare/webhooks/wavespeed`);
        const request = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            agent,
            headers: chunked ? { 'transfer-encoding': 'chunked' } : {},
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode!));
          },
        );
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
        request.end(body);
      });
    try {
      expect(await post(Buffer.alloc((1 << 20) + 200_000, 0x78), true)).toBe(413);
      expect(await post(Buffer.from('{}'), false)).toBe(401); // unsigned: refused, but answered, not ECONNRESET
    } finally {
      agent.destroy();
    }
  });

  it('behind express.raw: verifies and completes the task', async () => {
    const user = await newAccount(db.sql, 'pro');
    const { taskId, predictionId } = await submit(user, 'raw');
    await fake.settled();
    expect(fake.deliveries.find((d) => d.prediction === predictionId)?.status).toBe(200);
    expect((await client.getGeneration(db.sql, { taskId })).status).toBe('completed');
  });

  it('behind express.json: 401 (re-serialised JSON is not what was signed), nothing written', async () => {
    const user = await newAccount(db.sql, 'pro');
    const { taskId, predictionId } = await submit(user, 'parsed');
    await fake.settled();
    expect(fake.deliveries.find((d) => d.prediction === predictionId)?.status).toBe(401);
    expect((await client.getGeneration(db.sql, { taskId })).status).toBe('processing');
    const refused = await fetch(`${base}/parsed/webhooks/wavespeed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id": "x"}',
    });
    expect(await refused.json()).toMatchObject({ ok: false, code: 'invalid_signature', reason: expect.stringMatching(/express\.raw/) });
  });
});
