// The WaveSpeed glue's test bench: a database of its own, the fake provider (its price in the
// price table), and the package's webhook route served over HTTP, wired into a SubmitConfig.
import { startFakeWaveSpeed, type FakeWaveSpeed } from '../../tools/fake-wavespeed.js';
import { serveFetch, type ServedHandler } from '../../src/serve-fetch.js';
import { WaveSpeedApi, wavespeedWebhookRoute, type SubmitConfig } from '../../src/wavespeed/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const glueModel = 'google/nano-banana/edit';
export const gluePrice = 0.039;

export interface GlueBench {
  db: TestDatabase;
  fake: FakeWaveSpeed;
  receiver: ServedHandler;
  config: SubmitConfig;
  close(): Promise<void>;
}

export async function startGlueBench(options: { connections: number; timeoutMs: number }): Promise<GlueBench> {
  const db = await createTestDatabase({ max: options.connections });
  const fake = await startFakeWaveSpeed({ prices: { [glueModel]: gluePrice } });
  await db.sql`insert into provider_prices (provider, model, cost_usd, effective_from) values ('wavespeed', ${glueModel}, ${gluePrice}, '2020-01-01')`;
  const receiver = await serveFetch(wavespeedWebhookRoute(db.sql, { secret: fake.secret }));
  const config = {
    api: new WaveSpeedApi({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: options.timeoutMs }),
    webhookUrl: `${receiver.url}/webhooks/wavespeed`,
  };
  return {
    db,
    fake,
    receiver,
    config,
    async close() {
      await fake.close();
      await receiver.close();
      await db.drop();
    },
  };
}
