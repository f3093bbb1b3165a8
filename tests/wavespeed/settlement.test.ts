// The glue settles holds from the provider's answer (contract §11, src/wavespeed/settlement.ts),
// over real HTTP with the fake WaveSpeed: a video priced by the second (the app's creditsUsed and
// unitsOf), a batch that delivered fewer outputs than it asked for (no option: the proportional
// default), a creditsUsed that throws, returns no whole number or more than the hold (the whole
// hold, logged), a duplicate webhook with another figure (logged, answered 200), and a
// reconciliation that settles a job whose webhook was lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { serveFetch, type ServedHandler } from '../../src/serve-fetch.js';
import {
  type Prediction,
  reconcileGenerations,
  type SettlementOptions,
  type SubmitConfig,
  submitGeneration,
  WaveSpeedApi,
  wavespeedWebhookRoute,
} from '../../src/wavespeed/index.js';
import { startFakeWaveSpeed, type FakeWaveSpeed } from '../../tools/fake-wavespeed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { newAccount } from '../helpers/ledger.js';

const video = 'kwaivgi/kling-v2.1-i2v-pro';
const batch = 'google/nano-banana/text-to-image';
const creditsPerSecond = 5;
const usdPerSecond = 0.056;

let db: TestDatabase;
let fake: FakeWaveSpeed;
let receiver: ServedHandler;
let config: SubmitConfig;
/** What the webhook's options do in the test under way; each test sets its own. */
let options: SettlementOptions = {};
const logged: { message: string; detail: Record<string, unknown> }[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ max: 6 });
  fake = await startFakeWaveSpeed({ prices: { [video]: usdPerSecond * 6, [batch]: 0.039 } });
  await db.sql`insert into provider_prices (provider, model, cost_usd, effective_from, unit) values
                 ('wavespeed', ${video}, ${usdPerSecond}, '2020-01-01', 'second'),
                 ('wavespeed', ${batch}, 0.039, '2020-01-01', 'output')`;
  // the options are read at each delivery (getters), so that each test can give its own
  receiver = await serveFetch(
    wavespeedWebhookRoute(db.sql, {
      secret: fake.secret,
      get creditsUsed() {
        return options.creditsUsed;
      },
      get unitsOf() {
        return options.unitsOf;
      },
      log: (message, detail) => logged.push({ message, detail }),
    }),
  );
  config = {
    api: new WaveSpeedApi({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2000 }),
    webhookUrl: `${receiver.url}/webhooks/wavespeed`,
  };
});
afterAll(async () => {
  await fake?.close();
  await receiver?.close();
  await db?.drop();
});

/** The app's pricing of a video: seconds of video the provider reported × credits per second. */
const seconds = (p: Prediction) => Number(p.raw.video_seconds);
const videoOptions: SettlementOptions = { creditsUsed: (p) => seconds(p) * creditsPerSecond, unitsOf: seconds };

async function submitVideo(userId: string, reported: number) {
  fake.plan({ extra: { video_seconds: reported } });
  // a 10-second video at most: the hold
  return submitGeneration(db.sql, config, { userId, model: video, input: { duration: 10 }, credits: 10 * creditsPerSecond });
}
const task = (taskId: string) => client.getGeneration(db.sql, { taskId });
const balance = async (userId: string) => (await client.getCreditBalance(db.sql, { userId })).total_credits;
const settlementOf = async (taskId: string) =>
  (await db.sql`select amount::int, origin from credit_transactions where task_id = ${taskId} and type = 'refund'`)[0];

describe('the glue settles holds', () => {
  it('a video priced by the second: creditsUsed settles the hold, unitsOf prices the upstream cost', async () => {
    options = videoOptions;
    const user = await newAccount(db.sql, 'pro');
    const submitted = await submitVideo(user, 6);
    expect(submitted.balance).toBe(450);
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_used: 50, credits_final: 30 });
    expect(await settlementOf(submitted.taskId)).toEqual({ amount: 20, origin: 'settlement' });
    expect((await task(submitted.taskId)).provider_cost_usd).toBe('0.336000'); // 6 s × $0.056
    expect(await balance(user)).toBe(470);
  });

  it('a batch that delivered 3 of the 4 outputs it asked for, without creditsUsed: 3/4 of the hold', async () => {
    options = {};
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ outputs: 3 });
    const submitted = await submitGeneration(db.sql, config, { userId: user, model: batch, input: { n: 4 }, credits: 40, outputs: 4 });
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_final: 30 });
    expect(await balance(user)).toBe(470);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no duration in the payload');
      },
      /creditsUsed threw/,
    ],
    ['returns a fraction', () => 12.5, /no whole number/],
    ['returns a negative figure', () => -3, /no whole number/],
    ['returns more than the hold', () => 51, /above the hold/],
  ])('a creditsUsed that %s settles the whole hold, and says so in the log', async (_how, creditsUsed, message) => {
    options = { creditsUsed };
    logged.length = 0;
    const user = await newAccount(db.sql, 'pro');
    const submitted = await submitVideo(user, 6);
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_final: 50 });
    expect(await settlementOf(submitted.taskId)).toBeUndefined();
    expect(await balance(user)).toBe(450);
    expect(logged.map((l) => l.message)).toEqual([expect.stringMatching(message)]);
    expect(logged[0]!.detail).toMatchObject({ predictionId: submitted.predictionId });
  });

  it('with creditsUsed, a refused figure settles the whole hold even for a batch short of outputs', async () => {
    options = {
      creditsUsed: () => {
        throw new Error('the pricing service is down');
      },
    };
    logged.length = 0;
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ outputs: 1 });
    const submitted = await submitGeneration(db.sql, config, { userId: user, model: batch, input: { n: 4 }, credits: 40, outputs: 4 });
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_final: 40 });
    expect(logged.map((l) => l.message)).toEqual([expect.stringMatching(/creditsUsed threw/)]);
  });

  it('a creditsUsed that gives no figure for a batch leaves it to the outputs delivered', async () => {
    // an app that prices its videos only: a batch has no video_seconds
    options = { ...videoOptions, creditsUsed: (p) => (p.model === video ? seconds(p) * creditsPerSecond : undefined), unitsOf: undefined };
    logged.length = 0;
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ outputs: 2 });
    const submitted = await submitGeneration(db.sql, config, { userId: user, model: batch, input: { n: 4 }, credits: 40, outputs: 4 });
    await fake.settled();
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_final: 20 });
    expect(logged).toEqual([]);
  });

  it('an unitsOf that returns no number records no units and is logged; the result is applied all the same', async () => {
    options = { unitsOf: () => Number.NaN };
    logged.length = 0;
    const user = await newAccount(db.sql, 'pro');
    const submitted = await submitVideo(user, 6);
    await fake.settled();
    expect(fake.deliveries.find((d) => d.prediction === submitted.predictionId)?.status).toBe(200);
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_final: 50, provider_cost_usd: null });
    expect(logged.map((l) => l.message)).toEqual([expect.stringMatching(/unitsOf returned no number/)]);
  });

  it('a duplicate webhook with another figure: the first settlement stands, logged, answered 200', async () => {
    let delivery = 0;
    options = { creditsUsed: () => (++delivery === 1 ? 30 : 20) };
    logged.length = 0;
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'duplicate' });
    const submitted = await submitGeneration(db.sql, config, { userId: user, model: video, input: {}, credits: 50 });
    await fake.settled();
    expect(fake.deliveries.filter((d) => d.prediction === submitted.predictionId).map((d) => d.status)).toEqual([200, 200]);
    expect(await task(submitted.taskId)).toMatchObject({ credits_final: 30 });
    expect(await balance(user)).toBe(470);
    expect(logged.map((l) => l.message)).toEqual([expect.stringMatching(/another figure/)]);
  });

  it('a reconciliation settles a job whose webhook was lost, as the webhook would have', async () => {
    options = {};
    const user = await newAccount(db.sql, 'pro');
    fake.plan({ webhook: 'lost', extra: { video_seconds: 4 } });
    const submitted = await submitGeneration(db.sql, config, { userId: user, model: video, input: {}, credits: 50 });
    await fake.settled();
    await db.sql`update enhancement_tasks set updated_at = now() - interval '10 minutes' where id = ${submitted.taskId}`;
    const report = await reconcileGenerations(db.sql, { api: config.api, ...videoOptions, log: () => {} });
    expect(report.tasks.find((t) => t.taskId === submitted.taskId)?.outcome).toBe('completed');
    expect(await task(submitted.taskId)).toMatchObject({ status: 'completed', credits_final: 20, provider_cost_usd: '0.224000' });
    expect(await balance(user)).toBe(480);
  });

  it('leaves the ledger sound', async () => {
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });
});
