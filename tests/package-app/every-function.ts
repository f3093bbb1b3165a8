// An application's code, as a user writes it: every function of the generated client and every
// export that takes `sql`, compiled by tests/package.test.ts in a scratch app per major of the
// `postgres` driver (3.4 and 4) under strict, noUncheckedIndexedAccess and
// exactOptionalPropertyTypes, then run against a database it migrates with the package's own API.
// It prints one JSON object: what each generated function returned, keyed by its name.
// Not part of the project's own compilation (tsconfig.json excludes it): it imports the package
// by its name, as installed.
import { randomUUID } from 'node:crypto';
import * as ledger from 'pg-credits-ledger';
import { dashboardRoute } from 'pg-credits-ledger/dashboard';
import { migrateUp } from 'pg-credits-ledger/migrate';
import { reconcileGenerations, submitGeneration, WaveSpeedApi, wavespeedWebhookRoute } from 'pg-credits-ledger/wavespeed';
import postgres from 'postgres';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is not set');
await migrateUp({ databaseUrl });
const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });

const returned: Record<string, unknown> = {};
/** Keeps what a generated function returned, under its name (a name the package exports). */
const record = <T>(name: keyof typeof ledger, value: T): T => {
  returned[name] = value;
  return value;
};

// An optional value as an app has it: maybe undefined (a query parameter, a form field).
const fromRequest = (value: string | null): string | undefined => value ?? undefined;
const before = fromRequest(new URLSearchParams('').get('before'));

const userId = randomUUID();
const account = record('ensureCreditAccount', await ledger.ensureCreditAccount(sql, { userId, tier: 'basic' }));
const credits: number = account.total_credits;
record('grantCredits', await ledger.grantCredits(sql, { userId, credits: 50, reason: 'purchase', idempotencyKey: `buy-${userId}` }));
record(
  'grantPromotionalCredits',
  await ledger.grantPromotionalCredits(sql, {
    userId,
    credits: 5,
    validFor: '7 days',
    reason: 'launch',
    idempotencyKey: `promo-${userId}`,
  }),
);
const start = (charge: number) =>
  ledger.startGeneration(sql, {
    userId,
    taskType: 'enhance',
    provider: 'wavespeed',
    model: 'nano-banana',
    credits: charge,
    idempotencyKey: randomUUID(),
    metadata: { size: 'hd', tags: ['a'] },
  });

const done = record('startGeneration', await start(4));
record(
  'markGenerationSubmitted',
  await ledger.markGenerationSubmitted(sql, { taskId: done.task_id, externalTaskId: `job-${done.task_id}` }),
);
record(
  'completeGeneration',
  await ledger.completeGeneration(sql, { taskId: done.task_id, providerCostUsd: '0.039', resultUrl: 'https://cdn.example/out.png' }),
);
const failed = await start(3);
record(
  'failGeneration',
  await ledger.failGeneration(sql, { taskId: failed.task_id, errorMessage: 'provider timeout', source: 'api_error' }),
);
const hooked = await start(2);
await ledger.markGenerationSubmitted(sql, { taskId: hooked.task_id, externalTaskId: `job-${hooked.task_id}` });
record(
  'recordProviderResult',
  await ledger.recordProviderResult(sql, {
    provider: 'wavespeed',
    externalTaskId: `job-${hooked.task_id}`,
    status: 'completed',
    providerCostUsd: '0.02',
    resultUrl: 'https://cdn.example/hooked.png',
    payload: { outputs: ['https://cdn.example/hooked.png'], has_nsfw_contents: [false] },
  }),
);
const inFlight = await start(1);
await ledger.markGenerationSubmitted(sql, { taskId: inFlight.task_id, externalTaskId: `job-${inFlight.task_id}` });
await new Promise((resolve) => setTimeout(resolve, 1100)); // the claim's shortest wait is a second
record(
  'claimGenerationsToReconcile',
  await ledger.claimGenerationsToReconcile(sql, { provider: 'wavespeed', olderThan: '1 second', limit: 10, lease: '1 minute' }),
);
record('expireStaleGenerations', await ledger.expireStaleGenerations(sql, { olderThan: '1 hour', limit: 100 }));
record('getGeneration', await ledger.getGeneration(sql, { taskId: done.task_id }));
record('getCreditBalance', await ledger.getCreditBalance(sql, { userId }));
const history = record('creditHistory', await ledger.creditHistory(sql, { userId, before, limit: 20 }));
const newest = history[0]; // noUncheckedIndexedAccess: maybe undefined
if (newest) await ledger.creditHistory(sql, { userId, before: newest.id });
record('creditStatement', await ledger.creditStatement(sql, { userId, periodStart: fromRequest(null) }));
record('changeTier', await ledger.changeTier(sql, { userId, tier: 'pro', idempotencyKey: `tier-${userId}` }));
const { total_credits } = await ledger.getCreditBalance(sql, { userId });
record('setLowBalanceThreshold', await ledger.setLowBalanceThreshold(sql, { userId, threshold: total_credits }));
record(
  'setAutoTopUp',
  await ledger.setAutoTopUp(sql, { userId, threshold: total_credits, target: total_credits + 100, monthlyLimit: 1000 }),
);
await start(1); // crosses both thresholds: a low-balance event and a top-up request
const events = record('claimCreditEvents', await ledger.claimCreditEvents(sql, { limit: 10, lease: '1 minute' }));
const request = events.find((e) => e.kind === 'top_up_requested');
if (!request?.idempotency_key) throw new Error('no top-up request');
record('declineTopUp', await ledger.declineTopUp(sql, { eventId: request.event_id })); // the card was declined
record('getAutoTopUp', await ledger.getAutoTopUp(sql, { userId }));
record('completeCreditEvents', await ledger.completeCreditEvents(sql, { eventIds: events.map((e) => e.event_id) }));
record('allocateMonthlyCredits', await ledger.allocateMonthlyCredits(sql));
record('expirePromotionalCredits', await ledger.expirePromotionalCredits(sql, { limit: 100 }));
record('backfillMissingRefunds', await ledger.backfillMissingRefunds(sql, { dryRun: true, limit: 10 }));
record('verifyLedger', await ledger.verifyLedger(sql));
record('closeLedger', await ledger.closeLedger(sql)); // the daily job: closes through 00:00 UTC today
record('verifyOpenPeriod', await ledger.verifyOpenPeriod(sql));

// An end user's own reads, in a transaction whose JWT claims name them (as PostgREST sets them).
const asUser = <T>(read: (tx: ledger.Sql) => Promise<T>) =>
  sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: 'authenticated' })}, true)`;
    return read(tx);
  });
record('myCreditBalance', await asUser((tx) => ledger.myCreditBalance(tx)));
record('myCreditHistory', await asUser((tx) => ledger.myCreditHistory(tx, { before, limit: 5 })));
record('myCreditStatement', await asUser((tx) => ledger.myCreditStatement(tx)));

// A team (contract §12): the user generates, the team pays; limits, a member's cap, statements.
const teamId = randomUUID();
record('ensureTeamAccount', await ledger.ensureTeamAccount(sql, { teamId, tier: 'pro' }));
record('addTeamMember', await ledger.addTeamMember(sql, { teamId, userId, dailyCreditLimit: 100 }));
record('setCreditLimits', await ledger.setCreditLimits(sql, { userId: teamId, maxInFlight: 5, dailyCreditLimit: 0 }));
await ledger.startGeneration(sql, {
  userId,
  accountId: teamId,
  taskType: 'image',
  provider: 'wavespeed',
  model: 'nano-banana',
  credits: 4,
});
record('listTeamMembers', await ledger.listTeamMembers(sql, { teamId }));
record('teamMemberStatement', await ledger.teamMemberStatement(sql, { teamId, userId }));
record('myTeamBalances', await asUser((tx) => ledger.myTeamBalances(tx)));
record('removeTeamMember', await ledger.removeTeamMember(sql, { teamId, userId }));

// Taking credits back (contract §13): a grant voided, and a revocation past the balance (debt).
const buyer = randomUUID();
await ledger.ensureCreditAccount(sql, { userId: buyer });
const promo = await ledger.grantPromotionalCredits(sql, {
  userId: buyer,
  credits: 5,
  validFor: '7 days',
  reason: 'welcome',
  idempotencyKey: 'promo-void',
});
record('voidPromotionalGrant', await ledger.voidPromotionalGrant(sql, { userId: buyer, lotId: promo.lot_id, reason: 'abuse' }));
record('revokeCredits', await ledger.revokeCredits(sql, { userId: buyer, credits: 50, reason: 'chargeback', idempotencyKey: 'dp_1' }));
// A tier an admin edits (contract §13).
record('upsertCreditTier', await ledger.upsertCreditTier(sql, { tier: 'studio', monthlyAllowance: 2000, rolloverCap: 200 }));
// Reading (contract §13): grants with their labels, a balance at an instant, the user's own grants.
record('promotionalGrants', await ledger.promotionalGrants(sql, { userId: buyer }));
record('creditBalanceAt', await ledger.creditBalanceAt(sql, { userId: buyer, at: new Date() }));
record('myPromotionalGrants', await asUser((tx) => ledger.myPromotionalGrants(tx)));

record('monitoringRefreshRollups', await ledger.monitoringRefreshRollups(sql, { full: true }));
record('monitoringTodaysGenerations', await ledger.monitoringTodaysGenerations(sql));
record('monitoringTodaysHealth', await ledger.monitoringTodaysHealth(sql, { asOfRefresh: false }));
record('monitoringProviderPerformanceLast7Days', await ledger.monitoringProviderPerformanceLast7Days(sql));
record('monitoringRefundRate', await ledger.monitoringRefundRate(sql, { creditsRefunded: '1', creditsCharged: '4' }));
record('monitoringSuccessRate', await ledger.monitoringSuccessRate(sql, { completed: '3', failed: '1' }));
const stats = record(
  'adminCreditStats',
  await ledger.adminCreditStats(sql, { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000) }),
);
const charged: number = stats.totals.credits_charged;

const recent = { limit: 50 };
record('readMonitoringCostPerUserMonthly', await ledger.readMonitoringCostPerUserMonthly(sql, { where: { user_id: userId }, ...recent }));
record(
  'readMonitoringFailuresByProviderError',
  await ledger.readMonitoringFailuresByProviderError(sql, { where: { provider: 'wavespeed' } }),
);
record(
  'readMonitoringFeaturePopularity',
  await ledger.readMonitoringFeaturePopularity(sql, { orderBy: 'month', descending: true, ...recent }),
);
record('readMonitoringLedgerDrift', await ledger.readMonitoringLedgerDrift(sql, recent));
record('readMonitoringMissingRefunds', await ledger.readMonitoringMissingRefunds(sql, recent));
record('readMonitoringMissingRefundsByUser', await ledger.readMonitoringMissingRefundsByUser(sql, recent));
record('readMonitoringOptimizationHints', await ledger.readMonitoringOptimizationHints(sql, recent));
record('readMonitoringPlatformHealth', await ledger.readMonitoringPlatformHealth(sql));
record('readMonitoringProviderCosts', await ledger.readMonitoringProviderCosts(sql, { where: { provider: 'wavespeed' }, ...recent }));
record('readMonitoringProviderPerformance', await ledger.readMonitoringProviderPerformance(sql, recent));
record('readMonitoringSummary', await ledger.readMonitoringSummary(sql));
record('readMonitoringThresholdValues', await ledger.readMonitoringThresholdValues(sql));
record('readMonitoringUnmatchedProviderResults', await ledger.readMonitoringUnmatchedProviderResults(sql, recent));
record(
  'readMonitoringUsageByProviderModel',
  await ledger.readMonitoringUsageByProviderModel(sql, { where: { provider: fromRequest('wavespeed') } }),
);
record(
  'readMonitoringUserActivityWeekly',
  await ledger.readMonitoringUserActivityWeekly(sql, { orderBy: 'week', descending: true, limit: 4 }),
);

// The other exports that take `sql` accept the same one, and a transaction where they may.
const api = new WaveSpeedApi({ apiKey: 'key', baseUrl: 'http://127.0.0.1:9' });
const takeSql = [
  ledger.adminCreditStatsRoute(sql),
  ledger.adminCreditStatsExpress(sql),
  dashboardRoute(sql),
  wavespeedWebhookRoute(sql, { secret: 'whsec_c2VjcmV0' }),
  () => submitGeneration(sql, { api, webhookUrl: 'https://app.example/hook' }, { userId, model: 'm', input: {}, credits: 1 }),
  () => reconcileGenerations(sql, { api }),
];
const page = await dashboardRoute(sql)(new Request('http://app/stats.json?days=1'));

// A refusal arrives as a typed error.
const refusal: unknown = await start(1_000_000).catch((error: unknown) => error);
const refused = refusal instanceof ledger.InsufficientCreditsError;
const available = refused ? refusal.available : undefined;
// @ts-expect-error: userId is a string
await ledger.getCreditBalance(sql, { userId: 1 }).catch(() => null);

console.log(
  JSON.stringify({
    returned,
    checks: { credits, charged, routes: takeSql.every((f) => typeof f === 'function'), page: page.status, refused, available },
  }),
);
await sql.end();
