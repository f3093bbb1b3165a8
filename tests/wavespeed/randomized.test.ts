// A randomized day through the WaveSpeed glue: 300 generations of 8 users, each with a random
// way for its submission and its webhook to go (every behaviour of the fake provider), a dozen at
// a time, then reconciliation and the sweep. Half are batches of 4 outputs whose hold is settled
// at the outputs the provider delivered (1 to 4: contract §11). Afterwards no task is in flight,
// every balance is its grants minus what its completed generations finally cost (a batch: 2
// credits per output delivered), the ledger is sound, and the spend the platform recorded equals
// what the provider says it generated.
// (One case is left out on purpose: an answer lost *and* its webhook lost leaves no trace on our
// side; only the provider's bill shows it — docs/wavespeed.md, "Failure modes". The plans avoid
// it; a submission that outlasts the client's timeout on a loaded machine can still produce it,
// and the spend check excuses exactly those predictions: none of their webhooks was delivered.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { reconcileGenerations, SubmitFailedError, submitGeneration, type SubmitConfig } from '../../src/wavespeed/index.js';
import type { FakeWaveSpeed, Plan, SubmitBehaviour, WebhookBehaviour } from '../../tools/fake-wavespeed.js';
import type { TestDatabase } from '../helpers/db.js';
import { glueModel, startGlueBench, type GlueBench } from '../helpers/wavespeed.js';
import { seededRandom } from '../../tools/seeded-random.js';

const model = glueModel;
const credits = 5;
/** A batch asks for 4 outputs and holds 2 credits for each. */
const batch = { outputs: 4, credits: 8 };
let bench: GlueBench;
let db: TestDatabase;
let fake: FakeWaveSpeed;
let config: SubmitConfig;

beforeAll(async () => {
  bench = await startGlueBench({ connections: 16, timeoutMs: 300 });
  ({ db, fake, config } = bench);
});
afterAll(() => bench?.close());

const submits: SubmitBehaviour[] = [
  'accept',
  'accept',
  'accept',
  'accept',
  'accept',
  'accept',
  'http500',
  'http400',
  'malformed',
  'hang-before',
  'hang-after',
];
const webhooks: WebhookBehaviour[] = [
  'completed',
  'completed',
  'completed',
  'failed',
  'lost',
  'lost-failed',
  'stays-processing',
  'duplicate',
  'out-of-order',
  'before-answer',
  'forged',
  'stale',
  'altered',
];

describe('a randomized day through the WaveSpeed glue', () => {
  it("ends with nothing in flight, every balance explained, a sound ledger, and the provider's spend recorded", async () => {
    const seed = Number(process.env.RANDOMIZED_SEED ?? Date.now() % 100_000);
    const rnd = seededRandom(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const users = Array.from({ length: 8 }, () => crypto.randomUUID());
    for (const userId of users) {
      await client.ensureCreditAccount(db.sql, { userId, tier: 'free' });
      await client.grantCredits(db.sql, { userId, credits: 2000, reason: 'randomized day', idempotencyKey: 'grant' });
    }

    const outcomes = { submitted: 0, refusedAndRefunded: 0 };
    for (let chunk = 0; chunk < 25; chunk++) {
      const batches = Array.from({ length: 12 }, () => rnd() < 0.5);
      const plans: Plan[] = batches.map((isBatch) => {
        const submit = pick(submits);
        // A lost answer is only seen again through its webhook: keep that one delivered (see the header).
        const webhook = submit === 'malformed' || submit === 'hang-after' ? 'completed' : pick(webhooks);
        return { submit, webhook, delayMs: Math.floor(rnd() * 40), ...(isBatch ? { outputs: 1 + Math.floor(rnd() * 4) } : {}) };
      });
      fake.plan(...plans);
      await Promise.all(
        plans.map(async (_, i) => {
          const userId = users[(chunk * 12 + i) % users.length]!;
          try {
            await submitGeneration(db.sql, config, {
              userId,
              model,
              input: { prompt: `#${chunk}-${i}` },
              ...(batches[i] ? batch : { credits }),
              idempotencyKey: `g-${chunk}-${i}`,
            });
            outcomes.submitted++;
          } catch (error) {
            if (!(error instanceof SubmitFailedError) || !error.refunded)
              throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
            outcomes.refusedAndRefunded++;
          }
        }),
      );
    }
    await fake.settled();
    expect(outcomes.submitted + outcomes.refusedAndRefunded, `seed ${seed}`).toBe(300);

    // Time passes: everything still in flight has waited half an hour.
    await db.sql`update enhancement_tasks set updated_at = now() - interval '30 minutes' where status in ('pending', 'processing')`;
    let report: Awaited<ReturnType<typeof reconcileGenerations>>;
    do report = await reconcileGenerations(db.sql, { api: config.api, olderThanSeconds: 120, hardLimitSeconds: 1200, concurrency: 6 });
    while (report.checked > 0);
    await client.expireStaleGenerations(db.sql, { olderThan: '25 minutes' });

    const [inFlight] = await db.sql`select count(*)::int as n from enhancement_tasks where status in ('pending', 'processing')`;
    expect(inFlight!.n, `seed ${seed}`).toBe(0);
    // What each completed generation finally cost, from what the provider delivered: a batch 2
    // credits per output, any other its hold.
    const cost = (task: { external_task_id: string; metadata: { outputs_requested?: number } }) =>
      task.metadata.outputs_requested
        ? (batch.credits / batch.outputs) * fake.predictions.get(task.external_task_id)!.outputs.length
        : credits;
    for (const userId of users) {
      const completed = await db.sql<{ external_task_id: string; metadata: { outputs_requested?: number } }[]>`
        select external_task_id, metadata from enhancement_tasks where user_id = ${userId} and status = 'completed'`;
      const spent = completed.reduce((sum, task) => sum + cost(task), 0);
      expect((await client.getCreditBalance(db.sql, { userId })).total_credits, `seed ${seed}`).toBe(10 + 2000 - spent);
    }
    const [settled] = await db.sql`select count(*)::int n from credit_transactions where origin = 'settlement'`;
    expect(settled!.n, `seed ${seed}: some batches delivered fewer outputs than they asked for`).toBeGreaterThan(10);
    expect(await client.verifyLedger(db.sql), `seed ${seed}`).toEqual([]);

    // The spend recorded: on the tasks (completions, late successes), plus the results of jobs no task recorded.
    await db.sql`update credits_private.provider_results set received_at = now() - interval '11 minutes' where applied_at is null`;
    const [recorded] = await db.sql`
      select (select coalesce(sum(provider_cost_usd), 0) from enhancement_tasks)
           + (select coalesce(sum(cost_usd), 0) from monitoring.unmatched_provider_results where status = 'completed') as usd`;
    // The one gap by design (see the header): a prediction whose answer never reached us and whose
    // webhook was lost too. The plans keep that out for the lost answers they choose, but on a
    // loaded machine an accepted submission can also outlast the client's 300 ms timeout; such a
    // prediction leaves no trace, and is excused only if none of its webhooks was delivered.
    const traced = new Set(
      (
        await db.sql`select external_task_id id from enhancement_tasks where external_task_id is not null
                      union select external_task_id from credits_private.provider_results`
      ).map((r) => r.id as string),
    );
    const untraced = [...fake.predictions.values()].filter((p) => p.status === 'completed' && !traced.has(p.id));
    for (const p of untraced) {
      expect(
        fake.deliveries.filter((d) => d.prediction === p.id && d.status === 200),
        `seed ${seed}: ${p.id}`,
      ).toEqual([]);
    }
    const excused = untraced.reduce((sum, p) => sum + p.costUsd, 0);
    expect(Number(recorded!.usd), `seed ${seed}`).toBeCloseTo(fake.generated().costUsd - excused, 6);
    expect(fake.generated().count, `seed ${seed}`).toBeGreaterThan(100);
  });
});
