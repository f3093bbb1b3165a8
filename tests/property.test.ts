// Property-based: random operation sequences against a plain TypeScript model of the ledger.
// Sequentially, every balance, bucket and usage counter must equal the model's after every step;
// in concurrent batches, the invariants must hold (verify_ledger() empty, nothing negative).
// The model knows promotional lots: granted, spent soonest first, lapsed (their date moved into
// the past: the test cannot wait), expired by the next charge or by the expiry job. A start's
// credits are a hold: a completion settles it at a figure (contract §11), giving back the rest in
// the reverse of the spending order (purchased, monthly, then the lots expiring last first).
// Limits and teams (contract §12): one of the accounts is a team its members spend, each within
// their own cap; any account may have an in-flight and a daily limit; the model predicts each
// start's refusal in the contract's order (CR008, the member's cap, CR001, in flight, the day's
// credits), and each account's generations in flight and spend today.
// Taking credits back (contract §13): a revocation takes purchased, then monthly, then promotional
// credits (the lot expiring last first), and what the account no longer holds becomes debt; every
// credit that comes in (a grant, an allocation, a promotional grant, a refund, a settlement)
// repays it first, a refund's taken as a charge spends (promotional, monthly, purchased). A voided
// grant loses what is left, and a refund to it expires at once. At a period change up to the
// tier's rollover cap of the unused monthly credits carry over (contract §13). An account with an
// automatic top-up gets one request when a charge takes it from at or above the threshold to
// below, for the credits back to the target within the month's limit, unless one is open; the
// model grants (with the request's key) or declines it (contract §13).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { ledgerViolations, newAccount, type Sql } from './helpers/ledger.js';

type Op =
  | { kind: 'start'; user: number; member: number; credits: number }
  | { kind: 'limit'; user: number; maxInFlight: number; daily: number }
  | { kind: 'member'; member: number; cap: number; remove: boolean }
  | { kind: 'submit' | 'fail' | 'sweep'; task: number }
  | { kind: 'complete'; task: number; used: number | null }
  | { kind: 'grant'; user: number; credits: number }
  | { kind: 'promote'; user: number; credits: number }
  | { kind: 'rollover'; user: number }
  | { kind: 'lapse'; user: number }
  | { kind: 'revoke'; user: number; credits: number }
  | { kind: 'void'; user: number; lot: number }
  | { kind: 'autoTopUp'; user: number; threshold: number; target: number; limit: number | null }
  | { kind: 'topUpGrant'; user: number }
  | { kind: 'topUpDecline'; user: number }
  | { kind: 'expire' };

const USERS = 3;
const ACCOUNTS = USERS + 1; // the last is a team: its starts are its members'
const TEAM = USERS;
const MEMBERS = 3; // the third is no member until a 'member' op adds it
const ALLOWANCE = 10; // tier free
const ROLLOVER_CAP = 4; // tier free's, set below: up to 4 unused monthly credits carry over (contract §13)

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      user: fc.nat(ACCOUNTS - 1),
      member: fc.nat(MEMBERS - 1),
      credits: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('limit' as const),
      user: fc.nat(ACCOUNTS - 1),
      maxInFlight: fc.nat(3), // 0: none
      daily: fc.nat(30),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('member' as const), member: fc.nat(MEMBERS - 1), cap: fc.nat(20), remove: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('submit' as const), task: fc.nat(60) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      task: fc.nat(60),
      // null: the whole hold; up to 13, so that some figures are above a hold of at most 12 (CR003)
      used: fc.option(fc.nat(13), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), task: fc.nat(60) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), task: fc.nat(60) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('grant' as const), user: fc.nat(ACCOUNTS - 1), credits: fc.integer({ min: 1, max: 20 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rollover' as const), user: fc.nat(ACCOUNTS - 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('promote' as const), user: fc.nat(ACCOUNTS - 1), credits: fc.integer({ min: 1, max: 15 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lapse' as const), user: fc.nat(ACCOUNTS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('revoke' as const), user: fc.nat(ACCOUNTS - 1), credits: fc.integer({ min: 1, max: 30 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), user: fc.nat(ACCOUNTS - 1), lot: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('autoTopUp' as const),
      user: fc.nat(ACCOUNTS - 1),
      threshold: fc.nat(15), // 0: off
      target: fc.integer({ min: 1, max: 20 }), // above the threshold by this
      limit: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom('topUpGrant' as const, 'topUpDecline' as const), user: fc.nat(ACCOUNTS - 1) }),
  },
);

interface ModelLot {
  id: number;
  remaining: number;
  /** Its date has passed (moved back by a 'lapse'); expired: the expiry was recorded. */
  lapsed: boolean;
  expired: boolean;
  /** Voided (void_promotional_grant): expired, and a refund to it expires at once. */
  voided: boolean;
}
interface ModelUser {
  id: string;
  monthly: number;
  purchased: number;
  used: number;
  period: number;
  /** In grant order, which is expiry order: every grant is valid for the same day. */
  lots: ModelLot[];
  /** The account's own limits (null: none) and its spend today (the test runs within one UTC day). */
  maxInFlight: number | null;
  daily: number | null;
  spent: number;
  /** What it owes: revoked beyond what it held. */
  debt: number;
  /** Its automatic top-up (null: off), its requests in order, and the credits requested this month. */
  topUp: { threshold: number; target: number; limit: number | null } | null;
  requests: ModelRequest[];
  requested: number;
}
interface ModelRequest {
  id: number;
  credits: number;
  key: string;
  outcome: 'granted' | 'declined' | null;
}
interface ModelMember {
  id: string;
  active: boolean;
  cap: number | null;
  spent: number;
}
interface ModelTask {
  id: string;
  /** The account that paid (a team for a member's start). */
  user: ModelUser;
  member?: ModelMember;
  credits: number;
  monthlyPart: number;
  spends: { lot: ModelLot; credits: number }[];
  period: number;
  status: string;
  /** What a completed task finally cost. */
  final?: number;
}

const newModelUser = async (sql: Sql): Promise<ModelUser> => ({
  id: await newAccount(sql, 'free'),
  monthly: ALLOWANCE,
  purchased: 0,
  used: 0,
  period: 0,
  lots: [],
  maxInFlight: null,
  daily: null,
  spent: 0,
  debt: 0,
  topUp: null,
  requests: [],
  requested: 0,
});
/** The accounts: USERS users' own, then a team with two members (the first capped) and a user who is not one yet. */
async function newModel(sql: Sql) {
  const users: ModelUser[] = [];
  for (let i = 0; i < USERS; i++) users.push(await newModelUser(sql));
  const team: ModelUser = {
    id: crypto.randomUUID(),
    monthly: ALLOWANCE,
    purchased: 0,
    used: 0,
    period: 0,
    lots: [],
    maxInFlight: null,
    daily: null,
    spent: 0,
    debt: 0,
    topUp: null,
    requests: [],
    requested: 0,
  };
  await sql`select ensure_team_account(${team.id}, 'free')`;
  users.push(team);
  const members: ModelMember[] = Array.from({ length: MEMBERS }, (_, i) => ({
    id: crypto.randomUUID(),
    active: i < 2,
    cap: i === 0 ? 15 : null,
    spent: 0,
  }));
  for (const m of members.filter((m) => m.active)) await sql`select add_team_member(${team.id}, ${m.id}, ${m.cap})`;
  return { users, members };
}
const promotional = (u: ModelUser) => u.lots.reduce((n, l) => n + (l.expired ? 0 : l.remaining), 0);
/** The expiry of what lapsed lots still hold (the job, or a charge before it spends). */
function expireLapsed(u: ModelUser) {
  for (const lot of u.lots.filter((l) => l.lapsed && !l.expired)) {
    lot.remaining = 0;
    lot.expired = true;
  }
}
const promote = (sql: Sql, u: ModelUser, credits: number) =>
  sql`select lot_id::int from grant_promotional_credits(${u.id}, ${credits}, '1 day', 'promotion', ${crypto.randomUUID()})`;
/** Moves the user's oldest live lot's expiry into the past; its id, if it had one. */
async function lapse(sql: Sql, userId: string) {
  const rows = await sql`update credits_private.promotional_lots set expires_at = now() - interval '1 second'
                          where id = (select min(id) from credits_private.promotional_lots
                                       where user_id = ${userId} and expired_at is null and expires_at > now())
                      returning id::int`;
  return rows[0]?.id as number | undefined;
}

/** Moves an account one period back in time, then lets allocate_monthly_credits start the current one. */
async function rollover(sql: Sql, userId: string) {
  await sql`update user_credits set period_start = period_start - interval '1 month' where user_id = ${userId}`;
  await sql`update credit_transactions set period_start = period_start - interval '1 month'
             where user_id = ${userId} and period_start is not null`;
  await sql`select allocate_monthly_credits(date_trunc('month', now() at time zone 'UTC')::date)`;
}

const total = (u: ModelUser) => u.monthly + u.purchased + promotional(u);

/**
 * Credits coming back to an account (a refund, a settlement): `lots` to their live lots, `voided`
 * to voided grants (they expire at once), `monthly`, and the rest purchased. An account that held
 * nothing may be in debt: it repays it first, as a charge spends (promotional, monthly, purchased).
 */
function receive(u: ModelUser, credits: number, monthly: number, lots: { lot: ModelLot; credits: number }[], voided: number) {
  const wasEmpty = total(u) === 0;
  for (const back of lots) back.lot.remaining += back.credits;
  const toLots = lots.reduce((n, b) => n + b.credits, 0);
  u.monthly += monthly;
  u.purchased += credits - voided - toLots - monthly;
  if (!wasEmpty) return;
  let repay = Math.min(u.debt, credits - voided);
  u.debt -= repay;
  for (const lot of u.lots.filter((l) => !l.expired && l.remaining > 0)) {
    const take = Math.min(lot.remaining, repay);
    lot.remaining -= take;
    repay -= take;
  }
  const fromMonthly = Math.min(u.monthly, repay);
  u.monthly -= fromMonthly;
  u.purchased -= repay - fromMonthly;
}

/** Credits coming in as one bucket (a grant, an allocation): the debt first; what is left. */
function repaid(u: ModelUser, credits: number) {
  const repay = Math.min(u.debt, credits);
  u.debt -= repay;
  return credits - repay;
}

function refund(task: ModelTask) {
  const u = task.user;
  // promotional credits to their lots while these are live (a voided grant's expire at once),
  // else as purchased credits
  const lots: { lot: ModelLot; credits: number }[] = [];
  let voided = 0;
  for (const spend of task.spends) {
    if (spend.lot.voided) voided += spend.credits;
    else if (!spend.lot.lapsed) lots.push({ lot: spend.lot, credits: spend.credits });
  }
  const samePeriod = task.period === u.period;
  if (samePeriod) u.used = Math.max(u.used - task.credits, 0);
  receive(u, task.credits, samePeriod ? task.monthlyPart : 0, lots, voided);
  unspend(task, task.credits);
  task.status = 'failed';
}

/** What comes back lowers the day's spend of the account, and of the member (never below 0). */
function unspend(task: ModelTask, back: number) {
  task.user.spent = Math.max(task.user.spent - back, 0);
  if (task.member) task.member.spent = Math.max(task.member.spent - back, 0);
}

/** A settlement: `back` credits of the hold return, purchased first, then monthly, then promotional (last lot first). */
function settle(task: ModelTask, back: number) {
  const u = task.user;
  const promotionalPart = task.spends.reduce((n, s) => n + s.credits, 0);
  const purchasedBack = Math.min(back, task.credits - task.monthlyPart - promotionalPart);
  const monthlyBack = Math.min(back - purchasedBack, task.monthlyPart);
  let promotionalLeft = back - purchasedBack - monthlyBack;
  const lots: { lot: ModelLot; credits: number }[] = [];
  let voided = 0;
  for (const spend of [...task.spends].reverse()) {
    const take = Math.min(spend.credits, promotionalLeft);
    promotionalLeft -= take;
    if (spend.lot.voided) voided += take;
    else if (!spend.lot.lapsed && take > 0) lots.push({ lot: spend.lot, credits: take });
  }
  const samePeriod = task.period === u.period;
  if (samePeriod) u.used = Math.max(u.used - back, 0);
  receive(u, back, samePeriod ? monthlyBack : 0, lots, voided);
  unspend(task, back);
}

const inFlight = (t: ModelTask) => t.status === 'pending' || t.status === 'processing';

/** The refusal the contract's order predicts for a start (contract §12), or undefined. */
function refusalOf(u: ModelUser, member: ModelMember | undefined, credits: number, spendable: number, tasks: ModelTask[]) {
  if (member && !member.active) return 'CR008';
  if (member?.cap != null && member.spent + credits > member.cap) return 'member_daily_credits';
  if (spendable < credits) return 'CR001';
  if (u.maxInFlight !== null && tasks.filter((t) => t.user === u && inFlight(t)).length >= u.maxInFlight) return 'in_flight';
  if (u.daily !== null && u.spent + credits > u.daily) return 'daily_credits';
  return undefined;
}

/** A charge took `u` from `before` to its balance now: a top-up request when it crossed the threshold (contract §13). */
async function requestTopUp(sql: Sql, u: ModelUser, before: number) {
  const after = total(u);
  const t = u.topUp;
  if (!t || before < t.threshold || after >= t.threshold || u.requests.some((q) => q.outcome === null)) return;
  const credits = Math.min(t.target - after, t.limit === null ? Number.POSITIVE_INFINITY : t.limit - u.requested);
  if (credits <= 0) return;
  const [event] = await sql`select id::int, idempotency_key from credits_private.credit_events
                             where user_id = ${u.id} and kind = 'top_up_requested' order by id desc limit 1`;
  u.requests.push({ id: event!.id, credits, key: event!.idempotency_key, outcome: null });
  u.requested += credits;
}

async function apply(sql: Sql, op: Op, users: ModelUser[], members: ModelMember[], tasks: ModelTask[]) {
  switch (op.kind) {
    case 'limit': {
      const u = users[op.user]!;
      await sql`select set_credit_limits(${u.id}, ${op.maxInFlight}, ${op.daily})`;
      u.maxInFlight = op.maxInFlight || null;
      u.daily = op.daily || null;
      return;
    }
    case 'member': {
      const m = members[op.member]!;
      if (op.remove) {
        await sql`select remove_team_member(${users[TEAM]!.id}, ${m.id})`;
        m.active = false;
      } else {
        await sql`select add_team_member(${users[TEAM]!.id}, ${m.id}, ${op.cap})`;
        m.active = true;
        m.cap = op.cap || null;
      }
      return;
    }
    case 'start': {
      const u = users[op.user]!;
      const member = op.user === TEAM ? members[op.member]! : undefined;
      // what the charge can spend: lapsed lots expire first (a refused charge rolls that back)
      const spendable =
        u.monthly + u.purchased + promotional(u) - u.lots.reduce((n, l) => n + (l.lapsed && !l.expired ? l.remaining : 0), 0);
      const refusal = refusalOf(u, member, op.credits, spendable, tasks);
      const before = total(u); // lapsed lots included: a crossing their expiry began counts too
      try {
        const [r] = member
          ? await sql`select * from start_generation(${member.id}, 'enhance', 'wavespeed', 'm', ${op.credits}, null, '{}', ${u.id})`
          : await sql`select * from start_generation(${u.id}, 'enhance', 'wavespeed', 'm', ${op.credits})`;
        expect(refusal).toBeUndefined();
        if (promotional(u) > 0) expireLapsed(u); // an account holding none reads no lot: the job marks spent ones
        const spends: ModelTask['spends'] = [];
        let left = op.credits;
        for (const lot of u.lots.filter((l) => !l.expired && l.remaining > 0)) {
          const take = Math.min(lot.remaining, left);
          if (take === 0) break;
          lot.remaining -= take;
          left -= take;
          spends.push({ lot, credits: take });
        }
        const monthlyPart = Math.min(u.monthly, left);
        u.monthly -= monthlyPart;
        u.purchased -= left - monthlyPart;
        u.used += op.credits;
        u.spent += op.credits;
        if (member) member.spent += op.credits;
        tasks.push({ id: r!.task_id, user: u, member, credits: op.credits, monthlyPart, spends, period: u.period, status: 'pending' });
        await requestTopUp(sql, u, before);
      } catch (error) {
        const { code, detail } = error as { code?: string; detail?: string };
        expect(code === 'CR007' ? JSON.parse(detail!).limit : code).toBe(refusal);
      }
      return;
    }
    case 'grant': {
      const u = users[op.user]!;
      await sql`select grant_credits(${u.id}, ${op.credits}, 'top-up', ${crypto.randomUUID()})`;
      u.purchased += repaid(u, op.credits);
      return;
    }
    case 'rollover': {
      const u = users[op.user]!;
      await rollover(sql, u.id);
      // up to the cap of the unused monthly credits carry over; promotional credits keep their own date
      u.monthly = Math.min(u.monthly, ROLLOVER_CAP) + repaid(u, ALLOWANCE);
      u.used = 0;
      u.period += 1;
      return;
    }
    case 'promote': {
      const u = users[op.user]!;
      const [r] = await promote(sql, u, op.credits);
      u.lots.push({ id: r!.lot_id, remaining: repaid(u, op.credits), lapsed: false, expired: false, voided: false });
      return;
    }
    case 'revoke': {
      const u = users[op.user]!;
      const [r] = await sql`select revoked::int, debt_credits::int, balance::int
                              from revoke_credits(${u.id}, ${op.credits}, 'chargeback', ${crypto.randomUUID()})`;
      expireLapsed(u); // lots past their date expire first: they are not revoked
      let left = op.credits;
      const fromPurchased = Math.min(u.purchased, left);
      u.purchased -= fromPurchased;
      left -= fromPurchased;
      const fromMonthly = Math.min(u.monthly, left);
      u.monthly -= fromMonthly;
      left -= fromMonthly;
      for (const lot of [...u.lots].reverse().filter((l) => !l.expired)) {
        const take = Math.min(lot.remaining, left);
        lot.remaining -= take;
        left -= take;
      }
      u.debt += left;
      expect(r).toEqual({ revoked: op.credits, debt_credits: u.debt, balance: total(u) });
      return;
    }
    case 'void': {
      const u = users[op.user]!;
      const lot = u.lots[op.lot % Math.max(u.lots.length, 1)];
      if (!lot) return;
      const [r] = await sql`select expired_credits::int, outcome from void_promotional_grant(${u.id}, ${lot.id}, 'abuse')`;
      const left = lot.expired ? 0 : lot.remaining;
      expect(r).toEqual(lot.voided ? { expired_credits: 0, outcome: 'already_voided' } : { expired_credits: left, outcome: 'voided' });
      lot.remaining = 0;
      lot.expired = true;
      lot.voided = true;
      return;
    }
    case 'autoTopUp': {
      const u = users[op.user]!;
      const on = op.threshold > 0;
      const [r] = on
        ? await sql`select * from set_auto_top_up(${u.id}, ${op.threshold}, ${op.threshold + op.target}, ${op.limit})`
        : await sql`select * from set_auto_top_up(${u.id}, null, null, null)`;
      u.topUp = on ? { threshold: op.threshold, target: op.threshold + op.target, limit: op.limit } : null;
      const open = u.requests.find((q) => q.outcome === null);
      expect(r).toEqual({
        threshold: u.topUp?.threshold ?? null,
        target: u.topUp?.target ?? null,
        monthly_limit: u.topUp?.limit ?? null,
        requested_this_month: String(u.requested),
        open_event_id: open ? String(open.id) : null,
      });
      return;
    }
    case 'topUpGrant':
    case 'topUpDecline': {
      const u = users[op.user]!;
      const open = u.requests.find((q) => q.outcome === null);
      if (!open) return;
      if (op.kind === 'topUpGrant') {
        await sql`select grant_credits(${u.id}, ${open.credits}, 'top-up', ${open.key})`;
        u.purchased += repaid(u, open.credits);
        open.outcome = 'granted';
      } else {
        const [r] = await sql`select outcome from decline_top_up(${open.id})`;
        expect(r!.outcome).toBe('declined');
        open.outcome = 'declined';
      }
      return;
    }
    case 'lapse': {
      const u = users[op.user]!;
      const lotId = await lapse(sql, u.id);
      expect(lotId).toBe(u.lots.find((l) => !l.lapsed && !l.voided)?.id); // a voided grant has expired
      const lot = u.lots.find((l) => l.id === lotId);
      if (lot) lot.lapsed = true;
      return;
    }
    case 'expire': {
      await sql`select * from expire_promotional_credits()`;
      for (const u of users) expireLapsed(u);
      return;
    }
    default: {
      const task = tasks[op.task % Math.max(tasks.length, 1)];
      if (!task) return;
      if (op.kind === 'submit') {
        if (task.status !== 'pending') return; // submitting a finished task is CR005, tested elsewhere
        await sql`select mark_generation_submitted(${task.id}, ${`job-${task.id}`})`;
        task.status = 'processing';
      } else if (op.kind === 'complete') {
        const refusal =
          task.status === 'failed' || op.used === null
            ? undefined
            : op.used > task.credits
              ? 'CR003'
              : task.status === 'completed' && op.used !== task.final
                ? 'CR006'
                : undefined;
        const call = sql`select outcome, credits_final::int, refunded_credits from complete_generation(${task.id}, null, null, ${op.used})`;
        if (refusal) {
          await expect(call).rejects.toMatchObject({ code: refusal });
          return;
        }
        const [r] = await call;
        if (inFlight(task)) {
          const used = op.used ?? task.credits;
          expect(r).toEqual({ outcome: 'completed', credits_final: used, refunded_credits: task.credits - used });
          if (used < task.credits) settle(task, task.credits - used);
          task.status = 'completed';
          task.final = used;
        } else if (task.status === 'completed') {
          expect(r).toEqual({ outcome: 'already_completed', credits_final: task.final, refunded_credits: 0 });
        } else {
          expect(r).toEqual({ outcome: 'ignored_already_failed', credits_final: null, refunded_credits: 0 });
        }
      } else if (op.kind === 'fail') {
        const [r] = await sql`select outcome, refunded_credits from fail_generation(${task.id}, 'boom')`;
        expect(r!.refunded_credits).toBe(inFlight(task) ? task.credits : 0);
        if (inFlight(task)) refund(task);
      } else {
        await sql`update enhancement_tasks set updated_at = updated_at - interval '1 hour' where id = ${task.id}`;
        const swept = await sql`select task_id from expire_stale_generations('30 minutes')`;
        expect(swept.map((s) => s.task_id)).toEqual(inFlight(task) ? [task.id] : []);
        if (inFlight(task)) refund(task);
      }
    }
  }
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 8 });
  await db.sql`select upsert_credit_tier('free', ${ALLOWANCE}, null, null, null, ${ROLLOVER_CAP})`;
});
afterAll(() => db.drop());

describe('property: the ledger matches a model under random operations', () => {
  it('sequentially, every balance equals the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        const { users, members } = await newModel(db.sql);
        const tasks: ModelTask[] = [];
        for (const op of ops) {
          await apply(db.sql, op, users, members, tasks);
          // the limits in effect, generations in flight and spend today of every account, in one read
          const usage = await db.sql`select b.in_flight::int, b.spent_today::int, b.max_in_flight, b.daily_credit_limit,
                                            b.debt_credits::int
                                       from unnest(${db.sql.array(users.map((u) => u.id))}::uuid[]) with ordinality a(id, n),
                                            get_credit_balance(a.id) b order by a.n`;
          expect(usage).toEqual(
            users.map((u) => ({
              in_flight: tasks.filter((t) => t.user === u && inFlight(t)).length,
              spent_today: u.spent,
              max_in_flight: u.maxInFlight,
              daily_credit_limit: u.daily,
              debt_credits: u.debt,
            })),
          );
          for (const u of users) {
            const [row] = await db.sql`select credits::int, monthly_credits::int, purchased_credits::int, promotional_credits::int,
                                              credits_used_this_month::int
                                         from user_credits where user_id = ${u.id}`;
            expect(row).toEqual({
              credits: u.monthly + u.purchased + promotional(u),
              monthly_credits: u.monthly,
              purchased_credits: u.purchased,
              promotional_credits: promotional(u),
              credits_used_this_month: u.used,
            });
            const lots = await db.sql`select id::int, remaining::int, expired_at is not null expired
                                        from credits_private.promotional_lots where user_id = ${u.id} order by id`;
            expect(lots).toEqual(u.lots.map((l) => ({ id: l.id, remaining: l.remaining, expired: l.expired })));
            const requests = await db.sql`select id::int, credits, idempotency_key as key, outcome from credits_private.credit_events
                                           where user_id = ${u.id} and kind = 'top_up_requested' order by id`;
            expect(requests).toEqual(u.requests);
          }
          const listed = await db.sql`select user_id, spent_today::int from list_team_members(${users[TEAM]!.id}, true)`;
          for (const m of members.filter((m) => m.active || m.spent > 0))
            expect(listed.find((l) => l.user_id === m.id)?.spent_today, `member ${m.id}`).toBe(m.spent);
        }
        expect(await ledgerViolations(db.sql)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('in concurrent batches, the invariants always hold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 8 }), async (batches) => {
        const { users, members } = await newModel(db.sql);
        const taskIds: string[] = [];
        for (const batch of batches) {
          await Promise.allSettled(
            batch.map(async (op) => {
              if (op.kind === 'start') {
                const [r] =
                  op.user === TEAM
                    ? await db.sql`select task_id from start_generation(${members[op.member]!.id}, 'enhance', 'wavespeed', 'm',
                                                                         ${op.credits}, null, '{}', ${users[TEAM]!.id})`
                    : await db.sql`select task_id from start_generation(${users[op.user]!.id}, 'enhance', 'wavespeed', 'm', ${op.credits})`;
                taskIds.push(r!.task_id);
              } else if (op.kind === 'limit') {
                await db.sql`select set_credit_limits(${users[op.user]!.id}, ${op.maxInFlight}, ${op.daily})`;
              } else if (op.kind === 'member') {
                if (op.remove) await db.sql`select remove_team_member(${users[TEAM]!.id}, ${members[op.member]!.id})`;
                else await db.sql`select add_team_member(${users[TEAM]!.id}, ${members[op.member]!.id}, ${op.cap})`;
              } else if (op.kind === 'grant') {
                await db.sql`select grant_credits(${users[op.user]!.id}, ${op.credits}, 'top-up', ${crypto.randomUUID()})`;
              } else if (op.kind === 'rollover') {
                await rollover(db.sql, users[op.user]!.id);
              } else if (op.kind === 'promote') {
                await promote(db.sql, users[op.user]!, op.credits);
              } else if (op.kind === 'lapse') {
                await lapse(db.sql, users[op.user]!.id);
              } else if (op.kind === 'expire') {
                await db.sql`select * from expire_promotional_credits()`;
              } else if (op.kind === 'revoke') {
                await db.sql`select revoke_credits(${users[op.user]!.id}, ${op.credits}, 'chargeback', ${crypto.randomUUID()})`;
              } else if (op.kind === 'void') {
                await db.sql`select void_promotional_grant(user_id, id, 'abuse') from credits_private.promotional_lots
                               where user_id = ${users[op.user]!.id} order by id offset ${op.lot} limit 1`;
              } else if (op.kind === 'autoTopUp') {
                const on = op.threshold > 0;
                await db.sql`select set_auto_top_up(${users[op.user]!.id}, ${on ? op.threshold : null},
                                                    ${on ? op.threshold + op.target : null}, ${on ? op.limit : null})`;
              } else if (op.kind === 'topUpGrant' || op.kind === 'topUpDecline') {
                const [open] = await db.sql`select id, credits, idempotency_key from credits_private.credit_events
                                             where user_id = ${users[op.user]!.id} and kind = 'top_up_requested' and outcome is null`;
                if (!open) return;
                if (op.kind === 'topUpGrant')
                  await db.sql`select grant_credits(${users[op.user]!.id}, ${open.credits}, 'top-up', ${open.idempotency_key})`;
                else await db.sql`select decline_top_up(${open.id})`;
              } else {
                const id = taskIds[op.task % Math.max(taskIds.length, 1)];
                if (!id) return;
                if (op.kind === 'complete') await db.sql`select complete_generation(${id}, null, null, ${op.used})`;
                else if (op.kind === 'fail') await db.sql`select fail_generation(${id}, 'boom')`;
                else if (op.kind === 'submit') await db.sql`select mark_generation_submitted(${id}, ${`job-${id}`})`;
                else await db.sql`select expire_stale_generations('0.5 seconds')`;
              }
            }),
          );
        }
        expect(await ledgerViolations(db.sql)).toEqual([]);
        const [neg] = await db.sql`select count(*)::int n from user_credits
                                    where least(credits, monthly_credits, purchased_credits, promotional_credits, credits_used_this_month) < 0`;
        expect(neg!.n).toBe(0);
        // at most one request open per account, and each month's count is its requests' credits, within the limit
        const ids = users.map((u) => u.id);
        expect(
          await db.sql`select user_id from credits_private.credit_events
                         where kind = 'top_up_requested' and outcome is null and user_id = any(${ids}::uuid[])
                         group by user_id having count(*) > 1`,
        ).toEqual([]);
        expect(
          await db.sql`select a.user_id from credits_private.auto_top_ups a
                         where a.user_id = any(${ids}::uuid[])
                           and a.requested_credits <> (select coalesce(sum(e.credits), 0) from credits_private.credit_events e
                                                        where e.user_id = a.user_id and e.kind = 'top_up_requested')`,
        ).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
