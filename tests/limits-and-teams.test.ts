// Contract §12 under real concurrent connections: limits hold exactly whatever the number of
// racing starts; a team's members race each other, their caps, the team's limits, the sweeper
// and their own removal; the typed client raises LimitReachedError and NotTeamMemberError.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from '../src/generated/client.js';
import { LimitReachedError, NotTeamMemberError } from '../src/errors.js';
import { createTestDatabase, type TestDatabase, RACE_CONNECTIONS } from './helpers/db.js';
import { ledgerViolations, newAccount, settle, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: RACE_CONNECTIONS });
  await Promise.all(Array.from({ length: RACE_CONNECTIONS }, () => db.sql`select pg_sleep(0.05)`));
});
afterAll(() => db.drop());

async function newTeam(tier = 'pro') {
  const teamId = randomUUID();
  await client.ensureTeamAccount(db.sql, { teamId, tier });
  return teamId;
}

function teamStart(userId: string, accountId: string, credits: number, idempotencyKey?: string) {
  return client.startGeneration(db.sql, {
    userId,
    accountId,
    taskType: 'image',
    provider: 'wavespeed',
    model: 'nano-banana',
    credits,
    idempotencyKey,
  });
}

async function inFlight(accountId: string) {
  return Number((await client.getCreditBalance(db.sql, { userId: accountId })).in_flight);
}

describe('limits under concurrency (contract §12)', () => {
  it('lets exactly 5 of 60 racing starts through a limit of 5 in flight; the others get LimitReachedError', async () => {
    const user = await newAccount(db.sql, 'pro');
    await client.setCreditLimits(db.sql, { userId: user, maxInFlight: 5, dailyCreditLimit: 0 });
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => startGeneration(db.sql, user, 1)));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(55);
    for (const e of refused) {
      expect(e).toBeInstanceOf(LimitReachedError);
      const limit = e as LimitReachedError;
      expect([limit.limit, limit.allowed, limit.current, limit.requested, limit.accountId, limit.userId]).toEqual([
        'in_flight',
        5,
        5,
        1,
        user,
        user,
      ]);
    }
    expect(await inFlight(user)).toBe(5);
    const [tasks] = await db.sql`select count(*)::int n from enhancement_tasks where user_id = ${user}`;
    expect(tasks!.n).toBe(5);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('frees slots at once: after 2 completions, exactly 2 of 20 racing starts pass', async () => {
    const user = await newAccount(db.sql, 'pro');
    await client.setCreditLimits(db.sql, { userId: user, maxInFlight: 5, dailyCreditLimit: 0 });
    const first = await Promise.all(Array.from({ length: 5 }, () => startGeneration(db.sql, user, 1)));
    await client.completeGeneration(db.sql, { taskId: first[0]!.task_id, providerCostUsd: '0.01' });
    await client.failGeneration(db.sql, { taskId: first[1]!.task_id, errorMessage: 'boom', source: 'callback' });
    const { ok, codes } = await settle(Array.from({ length: 20 }, () => startGeneration(db.sql, user, 1)));
    expect(ok).toHaveLength(2);
    expect(codes).toEqual(Array(18).fill('CR007'));
    expect(await inFlight(user)).toBe(5);
  });

  it('holds a daily limit of 50 credits exactly against 40 racing starts of 3 credits', async () => {
    const user = await newAccount(db.sql, 'pro');
    await client.setCreditLimits(db.sql, { userId: user, maxInFlight: 0, dailyCreditLimit: 50 });
    const { ok, codes } = await settle(Array.from({ length: 40 }, () => startGeneration(db.sql, user, 3)));
    expect(ok).toHaveLength(16);
    expect(codes).toEqual(Array(24).fill('CR007'));
    const balance = await client.getCreditBalance(db.sql, { userId: user });
    expect([Number(balance.spent_today), Number(balance.total_credits)]).toEqual([48, 500 - 48]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });
});

describe('limits changing under concurrency (contract §12)', () => {
  it("gives a tier's new limit to an account opened while the change is in flight", async () => {
    const tier = `race-${randomUUID().slice(0, 8)}`;
    await db.sql`insert into credit_tiers (tier, monthly_allowance) values (${tier}, 100)`;
    const operator = await db.sql.reserve();
    try {
      await operator`begin`;
      await operator`update credit_tiers set max_in_flight = 1 where tier = ${tier}`;
      const user = randomUUID();
      const opening = client.ensureCreditAccount(db.sql, { userId: user, tier }); // waits for the tier
      await new Promise((resolve) => setTimeout(resolve, 200));
      await operator`commit`;
      expect((await opening).max_in_flight).toBe(1);
      await startGeneration(db.sql, user, 1);
      await expect(startGeneration(db.sql, user, 1)).rejects.toBeInstanceOf(LimitReachedError);
    } finally {
      operator.release();
    }
  });

  it("keeps an account's own limit set while its tier's is removed", async () => {
    const tier = `race-${randomUUID().slice(0, 8)}`;
    await db.sql`insert into credit_tiers (tier, monthly_allowance, max_in_flight) values (${tier}, 100, 5)`;
    const user = randomUUID();
    await client.ensureCreditAccount(db.sql, { userId: user, tier });
    const own = await db.sql.reserve();
    try {
      await own`begin`;
      await own`select set_credit_limits(${user}, 1, null)`;
      const removing = db.sql`update credit_tiers set max_in_flight = null where tier = ${tier}`; // waits for it
      await new Promise((resolve) => setTimeout(resolve, 200));
      await own`commit`;
      await removing;
      await startGeneration(db.sql, user, 1);
      await expect(startGeneration(db.sql, user, 1)).rejects.toBeInstanceOf(LimitReachedError);
    } finally {
      own.release();
    }
  });
});

describe('team balances under concurrency (contract §12)', () => {
  it('never makes one id both a team and a member, however the two calls race', async () => {
    const team = await newTeam('pro');
    const ids = Array.from({ length: 10 }, () => randomUUID());
    await settle(
      ids.flatMap((id): Promise<unknown>[] => [
        client.ensureTeamAccount(db.sql, { teamId: id, tier: 'free' }),
        client.addTeamMember(db.sql, { teamId: team, userId: id }),
      ]),
    );
    const both = await db.sql`select m.user_id from credits_private.team_members m join credits_private.teams t on t.team_id = m.user_id
                               where m.removed_at is null and m.user_id in ${db.sql(ids)}`;
    expect(both).toEqual([]);
  });

  it("holds each member's daily cap exactly while five members race on one team", async () => {
    const team = await newTeam('pro');
    const members = Array.from({ length: 5 }, () => randomUUID());
    for (const m of members) await client.addTeamMember(db.sql, { teamId: team, userId: m, dailyCreditLimit: 30 });
    const calls = members.flatMap((m) => Array.from({ length: 10 }, () => teamStart(m, team, 5).then(() => m)));
    const { ok, codes } = await settle(calls);
    for (const m of members) expect(ok.filter((x) => x === m)).toHaveLength(6);
    expect(codes).toEqual(Array(20).fill('CR007'));
    const balance = await client.getCreditBalance(db.sql, { userId: team });
    expect(Number(balance.total_credits)).toBe(500 - 150);
    const listed = await client.listTeamMembers(db.sql, { teamId: team });
    expect(listed.map((m) => Number(m.spent_today))).toEqual([30, 30, 30, 30, 30]);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it("holds the team's in-flight limit across members racing the sweeper", async () => {
    const team = await newTeam('pro');
    const members = Array.from({ length: 4 }, () => randomUUID());
    for (const m of members) await client.addTeamMember(db.sql, { teamId: team, userId: m });
    await client.setCreditLimits(db.sql, { userId: team, maxInFlight: 6, dailyCreditLimit: 0 });
    const stuck = await Promise.all(members.slice(0, 3).map((m) => teamStart(m, team, 2)));
    await db.sql`update enhancement_tasks set updated_at = now() - interval '2 hours' where id in ${db.sql(stuck.map((s) => s.task_id!))}`;
    const starts = members.flatMap((m) => Array.from({ length: 6 }, () => teamStart(m, team, 2)));
    const sweep = client.expireStaleGenerations(db.sql, { olderThan: '1 hour' });
    const [{ ok, codes }, swept] = await Promise.all([settle(starts), sweep]);
    expect(swept).toHaveLength(3);
    expect(codes.every((c) => c === 'CR007')).toBe(true);
    // whatever the order, never more than 6 in flight, and every start that passed is in flight
    expect(await inFlight(team)).toBe(ok.length);
    expect(ok.length).toBeLessThanOrEqual(6);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    const more = await settle(Array.from({ length: 10 }, () => teamStart(members[3]!, team, 2)));
    expect(more.ok).toHaveLength(6 - ok.length);
    expect(await inFlight(team)).toBe(6);
    expect(await ledgerViolations(db.sql)).toEqual([]);
  });

  it('stops a removed member at once: every start after remove_team_member returns is CR008', async () => {
    const team = await newTeam('pro');
    const member = randomUUID();
    await client.addTeamMember(db.sql, { teamId: team, userId: member });
    const racing = Array.from({ length: 20 }, () => teamStart(member, team, 1));
    const removed = client.removeTeamMember(db.sql, { teamId: team, userId: member });
    const [{ ok, codes }] = await Promise.all([settle(racing), removed]);
    expect(ok.length + codes.filter((c) => c === 'CR008').length).toBe(20);
    const after = await Promise.allSettled(Array.from({ length: 5 }, () => teamStart(member, team, 1)));
    for (const r of after) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(NotTeamMemberError);
    }
    const [tasks] = await db.sql`select count(*)::int n from enhancement_tasks where user_id = ${member}`;
    expect(tasks!.n).toBe(ok.length);
  });

  it("keeps a member's key theirs: one key raced on their own account and the team's starts once, the other is CR006", async () => {
    const team = await newTeam('pro');
    const member = await newAccount(db.sql, 'pro');
    await client.addTeamMember(db.sql, { teamId: team, userId: member });
    const key = `race-${randomUUID()}`;
    const calls = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0 ? teamStart(member, team, 4, key) : startGeneration(db.sql, member, 4, key),
    );
    const { ok, codes } = await settle(calls);
    expect(codes.every((c) => c === 'CR006')).toBe(true);
    expect(new Set(ok.map((r) => r.task_id)).size).toBe(1);
    expect(ok.length).toBe(5);
    const [tasks] = await db.sql`select count(*)::int n from enhancement_tasks where user_id = ${member}`;
    expect(tasks!.n).toBe(1);
  });
});
