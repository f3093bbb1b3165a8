// The main job: migrate, load the demo seeds, simulate a day of generations through the WaveSpeed
// glue against a fake WaveSpeed over real HTTP (some fail, some lose their webhook and are
// reconciled, some get stuck and are swept), then a video priced by the second and a batch with a
// missing output whose holds are settled at what they used, a studio's team balance spent by its
// members within their caps and the team's limits, a chargeback that leaves a debt the next
// purchase repays, an automatic top-up paid with a saved card and unused credits carried into a
// new month, and print balances, refunds, spend,
// a statement that adds up and the ledger's verdict. With DATABASE_URL it works there; without, on an embedded PostgreSQL it starts and removes.
// `npm start -- --serve [--port N]` then keeps the day's dashboard page up until Ctrl-C.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { InsufficientCreditsError, LimitReachedError, NotTeamMemberError } from '../src/errors.js';
import {
  addTeamMember,
  claimCreditEvents,
  completeCreditEvents,
  creditStatement,
  ensureCreditAccount,
  ensureTeamAccount,
  expirePromotionalCredits,
  failGeneration,
  getCreditBalance,
  grantCredits,
  grantPromotionalCredits,
  listTeamMembers,
  removeTeamMember,
  revokeCredits,
  setAutoTopUp,
  setCreditLimits,
  startGeneration,
  upsertCreditTier,
} from '../src/generated/client.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../tools/embedded.js';
import { migrateUp } from '../src/migrate/index.js';
import { packageRoot } from '../src/paths.js';
import {
  type Prediction,
  reconcileGenerations,
  SubmitFailedError,
  submitGeneration,
  WaveSpeedApi,
  wavespeedWebhookRoute,
} from '../src/wavespeed/index.js';
import { startFakeWaveSpeed, type Plan } from '../tools/fake-wavespeed.js';
import { serveFetch } from '../src/serve-fetch.js';
import { seededRandom } from '../tools/seeded-random.js';
import { defaultDashboardPort, serveDashboard } from '../src/dashboard/serve.js';
import { interrupted } from '../src/interrupted.js';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: { serve: { type: 'boolean', default: false }, port: { type: 'string', default: String(defaultDashboardPort) } },
});

const DEMO_USERS = 12;
const GENERATIONS = 240;

/** Deterministic demo ids, so that a second run on the same database finds the same accounts. */
const demoId = (label: string) => {
  const h = createHash('md5').update(`credits-demo:${label}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** WaveSpeed model paths, the fake's price for each (= demo/prices.sql), and what a generation costs the user. */
const models = [
  { model: 'google/nano-banana/edit', task: 'enhance', credits: 2, price: 0.039 },
  { model: 'google/nano-banana-pro/edit', task: 'upscale', credits: 5, price: 0.139 },
  { model: 'bytedance/seedream-v4', task: 'remove-background', credits: 1, price: 0.027 },
];

/** How each generation's submission and webhook go, by a roll of the dice. */
function planFor(roll: number): Plan | 'dies-before-posting' {
  if (roll < 0.03) return { submit: 'http400' }; // the provider refuses the request
  if (roll < 0.05) return { submit: 'hang-after' }; // the answer is lost; it generates anyway
  if (roll < 0.07) return 'dies-before-posting'; // the app crashes between the charge and the POST
  if (roll < 0.1) return { webhook: 'stays-processing' }; // the provider never finishes
  if (roll < 0.15) return { webhook: 'lost' }; // it finishes, the webhook never comes
  if (roll < 0.23) return { webhook: 'failed' }; // it fails: a refund
  if (roll < 0.26) return { webhook: 'duplicate' }; // the webhook comes twice
  if (roll < 0.28) return { webhook: 'before-answer' }; // the webhook beats the submission's commit
  if (roll < 0.3) return { webhook: 'forged' }; // someone forges a webhook
  return { webhook: 'completed' };
}

async function simulateDay(sql: postgres.Sql, users: string[]) {
  const fake = await startFakeWaveSpeed({ prices: Object.fromEntries(models.map((m) => [m.model, m.price])) });
  const receiver = await serveFetch(wavespeedWebhookRoute(sql, { secret: fake.secret }));
  const api = new WaveSpeedApi({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 300 });
  const config = { api, webhookUrl: `${receiver.url}/api/webhooks/wavespeed` };
  console.log(`  a fake WaveSpeed at ${fake.url}, the webhook route at ${config.webhookUrl}`);
  const rnd = seededRandom(42); // the day is the same on every run
  const day = Date.now().toString(36); // a second run on the same database is another day: new idempotency keys
  const tally = { started: 0, refused: 0, refundedAtSubmit: 0, neverPosted: 0 };
  try {
    for (let i = 0; i < GENERATIONS; i++) {
      const user = users[Math.floor(rnd() * users.length)]!;
      const m = models[Math.floor(rnd() * models.length)]!;
      const plan = planFor(rnd());
      const request = {
        userId: user,
        model: m.model,
        taskType: m.task,
        input: { prompt: `demo #${i}` },
        credits: m.credits,
        idempotencyKey: `demo-${day}-${i}`,
      };
      try {
        if (plan === 'dies-before-posting') {
          await startGeneration(sql, {
            userId: user,
            taskType: m.task,
            provider: 'wavespeed',
            model: m.model,
            credits: m.credits,
            idempotencyKey: request.idempotencyKey,
          });
          tally.neverPosted++;
        } else {
          fake.plan(plan);
          await submitGeneration(sql, config, request);
        }
        tally.started++;
      } catch (error) {
        if (error instanceof InsufficientCreditsError)
          tally.refused++; // nothing was charged
        else if (error instanceof SubmitFailedError && error.refunded) {
          tally.started++;
          tally.refundedAtSubmit++;
        } else throw error;
      }
    }
    await fake.settled();
    const webhooks = {
      delivered: fake.deliveries.filter((d) => d.status === 200).length,
      refused: fake.deliveries.filter((d) => d.status === 401).length,
    };

    // Half an hour passes for what is still in flight: reconciliation asks the provider, then two
    // sweepers at once (as two schedulers would) refund what it could not settle.
    await sql`update enhancement_tasks set updated_at = now() - interval '40 minutes'
               where status in ('pending', 'processing') and user_id = any(${users})`;
    const reconciled = await reconcileGenerations(sql, { api, olderThanSeconds: 120, hardLimitSeconds: 1200 });
    const sweeps = await Promise.all([
      sql`select * from expire_stale_generations('30 minutes')`,
      sql`select * from expire_stale_generations('30 minutes')`,
    ]);
    return { tally, webhooks, reconciled, swept: sweeps.flat(), generated: fake.generated() };
  } finally {
    await receiver.close();
    await fake.close();
  }
}

/** A video model priced by the second of video, and a batch model by the image delivered (= demo/prices.sql). */
const video = { model: 'kwaivgi/kling-v2.1-i2v-pro', creditsPerSecond: 5, maxSeconds: 10, usdPerSecond: 0.056 };
const batch = { model: 'google/nano-banana/text-to-image', outputs: 4, creditsPerOutput: 2, usdPerOutput: 0.039 };

/**
 * Holds settled at the real cost (contract §11): a video holds its longest length and is settled
 * at the seconds the provider reports (the app's creditsUsed; the seconds also price the upstream
 * cost); a batch holds all its outputs and is settled at those delivered (the glue's default).
 */
async function variableCosts(sql: postgres.Sql, userId: string, run: string) {
  const fake = await startFakeWaveSpeed({});
  const seconds = (p: Prediction) => Number(p.raw.video_seconds);
  const isVideo = (p: Prediction) => p.model === video.model;
  const receiver = await serveFetch(
    wavespeedWebhookRoute(sql, {
      secret: fake.secret,
      creditsUsed: (p) => (isVideo(p) ? seconds(p) * video.creditsPerSecond : undefined),
      unitsOf: (p) => (isVideo(p) ? seconds(p) : p.outputs.length),
    }),
  );
  const config = { api: new WaveSpeedApi({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2000 }), webhookUrl: receiver.url };
  try {
    fake.plan({ extra: { video_seconds: 6 }, costUsd: 6 * video.usdPerSecond });
    const clip = await submitGeneration(sql, config, {
      userId,
      model: video.model,
      taskType: 'video',
      input: { prompt: 'a cat surfing', duration: video.maxSeconds },
      credits: video.maxSeconds * video.creditsPerSecond,
      idempotencyKey: `demo-video-${run}`,
    });
    fake.plan({ outputs: batch.outputs - 1, costUsd: (batch.outputs - 1) * batch.usdPerOutput });
    const images = await submitGeneration(sql, config, {
      userId,
      model: batch.model,
      taskType: 'batch',
      input: { prompt: 'four cats', num_images: batch.outputs },
      credits: batch.outputs * batch.creditsPerOutput,
      outputs: batch.outputs,
      idempotencyKey: `demo-batch-${run}`,
    });
    await fake.settled();
    return { clip, images, billed: fake.generated().costUsd };
  } finally {
    await receiver.close();
    await fake.close();
  }
}

/**
 * Limits and team balances (contract §12): a studio's one balance, five designers capped at 200
 * credits a day, at most 3 generations in flight for the whole studio. The designers submit
 * through the glue (the provider keeps them processing): the fourth start at once is refused
 * before anything is posted, a designer past their cap too, and a removed one.
 */
async function teamPlan(sql: postgres.Sql, run: string) {
  const fake = await startFakeWaveSpeed({});
  const config = { api: new WaveSpeedApi({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2000 }), webhookUrl: `${fake.url}/nowhere` };
  const studio = demoId(`studio-${run}`);
  const designers = Array.from({ length: 5 }, (_, i) => demoId(`designer-${run}-${i}`));
  const lines: string[] = [];
  const refusal = (e: unknown) => {
    if (e instanceof LimitReachedError) return `refused (CR007 ${e.limit}: ${e.current} of ${e.allowed})`;
    if (e instanceof NotTeamMemberError) return 'refused (CR008: not a member)';
    throw e;
  };
  const submit = (designer: string, credits: number) =>
    submitGeneration(sql, config, {
      userId: designer,
      accountId: studio,
      model: 'google/nano-banana/edit',
      input: { prompt: 'a logo' },
      credits,
    }).then(() => `started, ${credits} credits from the studio`, refusal);
  try {
    await ensureTeamAccount(sql, { teamId: studio, tier: 'pro' });
    await grantCredits(sql, { userId: studio, credits: 2000, reason: 'studio pack', idempotencyKey: `studio-pack-${run}` });
    for (const d of designers) await addTeamMember(sql, { teamId: studio, userId: d, dailyCreditLimit: 200 });
    await setCreditLimits(sql, { userId: studio, maxInFlight: 3, dailyCreditLimit: 0 });
    fake.plan({ webhook: 'stays-processing' }, { webhook: 'stays-processing' }, { webhook: 'stays-processing' });
    for (const [i, credits] of [40, 40, 40, 40].entries()) lines.push(`designer ${i + 1}: ${await submit(designers[i]!, credits)}`);
    lines.push(`designer 5 asks for 250 credits: ${await submit(designers[4]!, 250).catch(refusal)}`);
    await removeTeamMember(sql, { teamId: studio, userId: designers[3]! });
    lines.push(`designer 4, removed: ${await submit(designers[3]!, 10)}`);
    const members = await listTeamMembers(sql, { teamId: studio });
    const [team] = await sql<{ credits: number }[]>`select credits::int from user_credits where user_id = ${studio}`;
    return { lines, members: members.length, balance: team!.credits, posted: fake.predictions.size };
  } finally {
    await fake.close();
  }
}

/**
 * Taking credits back (contract §13): a user buys a 500-credit pack and spends most of it; the
 * card payment is then disputed. The dispute's id is the revocation's key (the payment
 * provider's webhook may deliver it twice). What the user no longer holds becomes debt: the
 * refund of a generation still in flight repays part of it, the next purchase the rest.
 */
async function chargeback(sql: postgres.Sql, run: string) {
  const userId = demoId(`buyer-${run}`);
  const lines: string[] = [];
  const held = async () => {
    const b = await getCreditBalance(sql, { userId });
    return `holds ${b.total_credits}, owes ${b.debt_credits}`;
  };
  await ensureCreditAccount(sql, { userId, tier: 'free' });
  await grantCredits(sql, { userId, credits: 500, reason: 'credit pack', idempotencyKey: `pi_${run}` });
  for (let i = 0; i < 8; i++)
    await startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'google/nano-banana/edit', credits: 40 });
  const inFlight = await startGeneration(sql, {
    userId,
    taskType: 'video',
    provider: 'wavespeed',
    model: 'wavespeed-ai/wan-2.1',
    credits: 150,
  });
  lines.push(`bought 500 credits (the free tier gave 10), spent 320 on 8 images, 150 held by a video in flight: ${await held()}`);
  for (const delivery of ['first', 'again']) {
    const r = await revokeCredits(sql, { userId, credits: 500, reason: 'chargeback: card dispute', idempotencyKey: `dp_${run}` });
    lines.push(
      `dispute dp_… (${delivery}): revoked ${r.revoked}, ${r.replayed ? 'a replay: nothing more taken' : `debt ${r.debt_credits}`}`,
    );
  }
  lines.push(
    `a generation fails: ${(await failGeneration(sql, { taskId: inFlight.task_id, errorMessage: 'provider error' })).refunded_credits} credits refunded: ${await held()}`,
  );
  await grantCredits(sql, { userId, credits: 500, reason: 'credit pack', idempotencyKey: `pi_${run}_2` });
  lines.push(`buys 500 credits again: ${await held()}`);
  return lines;
}

/**
 * Automatic top-ups and rollover (contract §13): a creator on a plan of 300 credits a month that
 * carries up to 100 unused credits into the next. Their month ends with 120 unused: 100 carry
 * over, 20 expire (the demo moves the account's month back: it cannot wait for the month to end).
 * With an automatic top-up (below 100, back to 500), the charge that crosses 100 asks for the
 * credits; a payment worker claims the request, charges the saved card (a fake payment here) and
 * grants the credits with the request's key.
 */
async function topUpAndRollover(sql: postgres.Sql, run: string) {
  const userId = demoId(`creator-${run}`);
  const lines: string[] = [];
  const holds = async () => (await getCreditBalance(sql, { userId })).total_credits;
  const charge = (credits: number) =>
    startGeneration(sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'google/nano-banana/edit', credits });
  await upsertCreditTier(sql, { tier: 'demo-creator', monthlyAllowance: 300, rolloverCap: 100 });
  await ensureCreditAccount(sql, { userId, tier: 'demo-creator' });
  for (let i = 0; i < 6; i++) await charge(30);
  lines.push(`a creator on 300 credits a month (up to 100 carried over) spends 180: holds ${await holds()}`);
  await sql`update user_credits set period_start = (period_start - interval '1 month')::date where user_id = ${userId}`;
  await sql`update credit_transactions set period_start = (period_start - interval '1 month')::date
             where user_id = ${userId} and period_start is not null`;
  await charge(30); // the new month's first charge starts it (lazy roll-over)
  const [carried] = await sql<{ description: string }[]>`
    select description from credit_transactions where user_id = ${userId} and type = 'allocation' order by created_at desc limit 1`;
  lines.push(`a new month: "${carried!.description}", 20 expired; after one more image: holds ${await holds()}`);

  await setAutoTopUp(sql, { userId, threshold: 100, target: 500, monthlyLimit: 2000 });
  let crossed = '';
  for (let balance = await holds(); balance >= 100; ) {
    balance = (await charge(60)).balance;
    crossed = `images of 60 until the balance falls below 100: holds ${balance}`;
  }
  lines.push(`automatic top-up on (below 100, back to 500, at most 2,000 a month); ${crossed}`);
  // the payment worker: claim the outbox's top-up requests, pay for each, grant, complete
  const events = await claimCreditEvents(sql, { kinds: ['top_up_requested'] });
  for (const e of events) {
    lines.push(`top_up_requested: ${e.credits} credits, key ${e.idempotency_key}`);
    const payment = await fakeChargeSavedCard(e.user_id, e.credits!, e.idempotency_key!);
    const grant = await grantCredits(sql, {
      userId,
      credits: e.credits!,
      reason: `automatic top-up (${payment})`,
      idempotencyKey: e.idempotency_key!,
    });
    lines.push(`the worker charges the saved card (${payment}), grants with the request's key: holds ${grant.balance}`);
  }
  await completeCreditEvents(sql, { eventIds: events.map((e) => e.event_id) });
  return lines;
}

/**
 * A payment provider's off-session charge of a saved card, faked: its payment id. The request's
 * key is the payment's idempotency key too, so a worker that retries is charged once, with the
 * same id (and the same grant reason: a replay, not CR006).
 */
async function fakeChargeSavedCard(customer: string, credits: number, idempotencyKey: string) {
  const id = createHash('md5').update(`${customer}:${idempotencyKey}`).digest('hex').slice(0, 10);
  return `pi_fake_${id}, $${(credits / 100).toFixed(2)}`;
}

async function main() {
  let embedded: EmbeddedServer | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log('No DATABASE_URL: starting an embedded PostgreSQL…');
    embedded = await startEmbeddedPostgres();
    const admin = postgres(embedded.url, { max: 1, onnotice: () => {} });
    await admin`create database credits_demo`;
    await admin.end();
    databaseUrl = embedded.url.replace(/\/postgres$/, '/credits_demo');
    console.log(`  PostgreSQL ${embedded.version}, data removed on exit`);
  }
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  try {
    console.log('\n== Migrate');
    const result = await migrateUp({ databaseUrl, log: (l) => console.log(`  ${l}`) });
    console.log(`  ${result.migrations.length} migrations, ${result.definitions?.changed.length ?? 0} functions and views applied`);

    console.log('\n== Seed');
    await sql.unsafe(await readFile(path.join(packageRoot, 'demo/prices.sql'), 'utf8'));
    const tiers = ['free', 'basic', 'pro'];
    const users = Array.from({ length: DEMO_USERS }, (_, i) => demoId(`user-${i}`));
    for (const [i, user] of users.entries()) {
      await sql`select ensure_credit_account(${user}, ${tiers[i % 3]!})`;
      if (i % 4 === 0) await sql`select grant_credits(${user}, 25, 'credit pack', ${`demo-pack-${i}`})`;
    }
    console.log(`  ${DEMO_USERS} accounts (free, basic, pro), a credit pack for every fourth, provider prices`);

    console.log('\n== Plan changes');
    // The payment provider's events, their ids the keys: a second run on this database replays them.
    for (const [user, tier] of [
      [users[1]!, 'pro'],
      [users[2]!, 'free'],
    ] as const) {
      const [change] = await sql`select * from change_tier(${user}, ${tier}, ${`demo-plan-${user}`})`;
      console.log(
        `  ${user.slice(0, 8)} → ${tier}: ${change!.outcome}${change!.replayed ? ' (replayed)' : ''}, ` +
          (change!.outcome === 'upgraded'
            ? `${change!.credits_granted} credits for this month at once`
            : `its next month starts on ${change!.pending_tier}`),
      );
    }

    console.log('\n== Promotions');
    // A launch-week grant for every third user, a one-hour flash sale for every fifth: spent before
    // any other credits, the one that expires soonest first. The keys are the campaigns': a second
    // run on this database replays them.
    let promoted = 0;
    for (const [i, user] of users.entries()) {
      for (const [campaign, credits, validFor, every] of [
        ['launch week', 15, '7 days', 3],
        ['flash sale', 30, '1 hour', 5],
      ] as const) {
        if (i % every !== 0) continue;
        const grant = await grantPromotionalCredits(sql, {
          userId: user,
          credits,
          validFor,
          reason: campaign,
          idempotencyKey: `demo-${campaign.replace(' ', '-')}-${user}`,
        });
        if (!grant.replayed) promoted += credits;
      }
    }
    console.log(
      `  launch week: 15 credits for 7 days to every third user; flash sale: 30 credits for an hour to every fifth (${promoted} granted)`,
    );

    console.log(`\n== A day of ${GENERATIONS} generations through the WaveSpeed glue`);
    const heard: { event_id: number }[] = [];
    const listener = await sql.listen('credit_events', (payload) => heard.push(JSON.parse(payload)));
    const { tally, webhooks, reconciled, swept, generated } = await simulateDay(sql, users);
    console.log(`  started ${tally.started}, refused for lack of credits ${tally.refused} (nothing charged)`);
    console.log(`  refunded at once because the submission failed (refused, or its answer lost): ${tally.refundedAtSubmit}`);
    console.log(`  webhooks applied ${webhooks.delivered} (duplicates and early ones included), refused as forged ${webhooks.refused}`);
    console.log(
      `  reconciliation asked WaveSpeed about ${reconciled.checked} tasks: ${reconciled.completed} completed, ${reconciled.failed} failed, ${reconciled.expired} expired past its limit`,
    );
    console.log(
      `  sweepers (two at once) refunded ${swept.length} tasks never submitted (${tally.neverPosted} charged by an app that died before posting), ${swept.reduce((n, r) => n + r.refunded_credits, 0)} credits`,
    );
    console.log(`  WaveSpeed generated ${generated.count} images for $${generated.costUsd.toFixed(4)}`);

    console.log('\n== Promotional credits expire');
    // The flash sale's hour passes (its lots' expiry moved back: the demo cannot wait), then two
    // expiry jobs run at once, as two schedulers would: each lot expires once.
    await sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second'
               where reason = 'flash sale' and expired_at is null and user_id = any(${users})`;
    const expiries = await Promise.all([expirePromotionalCredits(sql), expirePromotionalCredits(sql)]);
    const [spent] = await sql`
      select coalesce(-sum(promotional_amount) filter (where type in ('usage', 'refund')), 0)::int spent
        from credit_transactions where user_id = any(${users})`;
    console.log(
      `  the day's charges spent ${spent!.spent} promotional credits (refunds returned to their grants); ` +
        `the flash sale's end: two jobs at once closed ${expiries.reduce((n, e) => n + e.lots, 0)} lots, ` +
        `${expiries.reduce((n, e) => n + e.credits_expired, 0)} unspent credits expired (an expiration row each)`,
    );
    await listener.unlisten();

    console.log('\n== Low-balance events');
    // What an app's worker does: claim, act (here: print), complete. LISTEN told it as they committed.
    // The notification carries the event's id alone: who and how much come with the claim.
    let consumed = 0;
    const crossed = new Set<string>();
    for (let events = await claimCreditEvents(sql); events.length > 0; events = await claimCreditEvents(sql)) {
      for (const e of events) crossed.add(e.user_id);
      consumed += await completeCreditEvents(sql, { eventIds: events.map((e) => e.event_id) });
    }
    console.log(
      `  ${heard.length} charges or expiries took a balance below its tier's threshold (free 3, basic 20, pro 50), ${crossed.size} users: ` +
        `heard on the channel credit_events as they committed, ${consumed} claimed and completed by a consumer`,
    );

    console.log('\n== Balances');
    const balances = await sql`
      select u.user_id, b.tier, coalesce(b.pending_tier, '') next, b.total_credits total, b.monthly_credits monthly, b.purchased_credits purchased,
             b.promotional_credits promo,
             b.used_this_month used,
             (select count(*)::int from credit_transactions c where c.user_id = u.user_id and c.type = 'refund') refunds
        from unnest(${users}::uuid[]) u(user_id), get_credit_balance(u.user_id) b order by b.tier, u.user_id`;
    console.table(balances.map(({ user_id, ...b }) => ({ user: String(user_id).slice(0, 8), ...b })));
    const [statement] = await sql`select * from credit_statement(${users[0]!})`;
    console.log(
      `  ${users[0]!.slice(0, 8)}'s month (credit_statement): opened at ${statement!.opening_balance}, allocated ${statement!.allocated}, ` +
        `purchased ${statement!.purchased}, promoted ${statement!.promoted}, used ${statement!.used}, ` +
        `refunded ${statement!.refunded}, settled ${statement!.settled}, expired ${statement!.expired}: ` +
        `closes at ${statement!.closing_balance}, ${statement!.transactions} ledger rows`,
    );

    console.log('== Refunds and spend');
    const [money] = await sql`
      select count(*) filter (where t.status = 'failed')::int failed,
             count(*) filter (where t.status = 'failed' and exists (select 1 from credit_transactions c where c.task_id = t.id and c.type = 'refund'))::int refunded,
             coalesce(sum(c.amount) filter (where c.type = 'refund'), 0)::int credits_refunded,
             coalesce(sum(t.provider_cost_usd), 0)::numeric(10,4)::text provider_cost_usd,
             coalesce(sum(t.provider_cost_usd) filter (where t.status = 'failed'), 0)::numeric(10,4)::text failed_cost_usd
        from enhancement_tasks t
        left join credit_transactions c on c.task_id = t.id and c.type = 'refund'
       where t.user_id = any(${users})`;
    // Results of jobs no task recorded (lost answers), as monitoring will list them after 10 minutes.
    const [unmatched] = await sql`
      select count(*)::int n, coalesce(sum(pp.cost_usd), 0)::numeric(10,4)::text usd
        from credits_private.provider_results r
        left join provider_prices pp on pp.provider = r.provider and pp.model = r.payload ->> 'model'
       where r.applied_at is null and r.status = 'completed'`;
    console.log(`  failed tasks ${money!.failed}, refunded ${money!.refunded}, credits refunded ${money!.credits_refunded}`);
    console.log(
      `  provider spend recorded on tasks $${money!.provider_cost_usd} (of which on refunded generations $${money!.failed_cost_usd})`,
    );
    console.log(
      `  plus ${unmatched!.n} results of lost submissions (the users were refunded, WaveSpeed generated anyway): $${unmatched!.usd}`,
    );
    const recorded = Number(money!.provider_cost_usd) + Number(unmatched!.usd);
    console.log(
      `  recorded $${recorded.toFixed(4)} of the $${generated.costUsd.toFixed(4)} WaveSpeed says it generated${Math.abs(recorded - generated.costUsd) < 1e-6 ? ': all of it' : ''}`,
    );

    console.log('\n== Variable cost: holds settled at what the generation used');
    const studio = demoId('video-studio');
    await sql`select ensure_credit_account(${studio}, 'pro')`;
    const variable = await variableCosts(sql, studio, Date.now().toString(36));
    const settledTask = async (taskId: string) =>
      (
        await sql<{ credits_used: number; credits_final: number; usd: string }[]>`
          select credits_used::int, credits_final::int, provider_cost_usd::numeric(10,4)::text usd from get_generation(${taskId})`
      )[0]!;
    const clip = await settledTask(variable.clip.taskId);
    const images = await settledTask(variable.images.taskId);
    console.log(
      `  a video of at most ${video.maxSeconds} s held ${clip.credits_used} credits; WaveSpeed made ${clip.credits_final / video.creditsPerSecond} s: ` +
        `settled at ${clip.credits_final}, ${clip.credits_used - clip.credits_final} back, upstream cost $${clip.usd} (by the second)`,
    );
    console.log(
      `  a batch of ${batch.outputs} images held ${images.credits_used} credits; one output failed: ` +
        `settled at ${images.credits_final}, ${images.credits_used - images.credits_final} back, upstream cost $${images.usd} (by the image)`,
    );
    const month = await creditStatement(sql, { userId: studio });
    const sum =
      month.opening_balance +
      month.allocated +
      month.purchased +
      month.promoted -
      month.used +
      month.refunded +
      (month.settled ?? 0) -
      month.expired +
      month.adjusted;
    console.log(
      `  ${studio.slice(0, 8)}'s month: opened at ${month.opening_balance}, allocated ${month.allocated}, used ${month.used} ` +
        `(what the generations finally cost), refunded ${month.refunded}, settled ${month.settled}: closes at ${month.closing_balance}` +
        `${sum === month.closing_balance ? ', and the statement adds up' : `, but its figures sum to ${sum}`}`,
    );
    const [spend] =
      await sql`select coalesce(sum(provider_cost_usd), 0)::numeric(10,4)::text usd from enhancement_tasks where user_id = ${studio}`;
    console.log(`  WaveSpeed billed $${variable.billed.toFixed(4)} for them; recorded $${spend!.usd}`);

    console.log('\n== A studio: one balance, five designers capped at 200 credits a day, 3 in flight at most');
    const team = await teamPlan(sql, Date.now().toString(36));
    for (const line of team.lines) console.log(`  ${line}`);
    console.log(
      `  WaveSpeed received ${team.posted} predictions: the refused starts posted nothing; ` +
        `the studio holds ${team.balance} credits, ${team.members} members left`,
    );

    console.log('\n== A chargeback: credits taken back, the debt repaid by what comes in next');
    for (const line of await chargeback(sql, Date.now().toString(36))) console.log(`  ${line}`);

    console.log('\n== Automatic top-ups and rollover');
    for (const line of await topUpAndRollover(sql, Date.now().toString(36))) console.log(`  ${line}`);

    console.log('\n== verify_ledger()');
    const violations = await sql`select * from verify_ledger()`;
    if (violations.length === 0) console.log('  sound: no invariant is violated');
    else console.table(violations);
    process.exitCode = violations.length === 0 ? 0 : 1;

    console.log('\n== Dashboard');
    await sql`select * from monitoring.refresh_rollups()`; // the page reads the rollups (every minute in production)
    if (options.serve) {
      const served = await serveDashboard(sql, { port: Number(options.port) }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE') throw error;
        throw new Error(`port ${options.port} is taken: npm start -- --serve --port ${Number(options.port) + 1} (0 picks a free one)`);
      });
      console.log(
        `  this day's dashboard: ${served.pageUrl}?days=1 (Ctrl-C stops it${embedded ? ' and removes the embedded database' : ''})`,
      );
      // the rollups' refresh, as a scheduler would run it: the page's figures stay current
      const refresher = setInterval(() => void sql`select * from monitoring.refresh_rollups()`.catch(() => {}), 60_000);
      await interrupted();
      clearInterval(refresher);
      console.log('  stopping…');
      await served.close();
    } else {
      console.log(`  to see this day on the admin dashboard page: npm start -- --serve (then open http://127.0.0.1:${options.port}/)`);
      console.log('  on your own database: credits dashboard --serve (docs/monitoring.md)');
    }
  } finally {
    await sql.end();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
