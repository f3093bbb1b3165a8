// The glue charges a team (contract §12, submitGeneration's accountId): a member's generation is
// paid by the team and its failure refunds the team; a limit or a removed membership refuses the
// start before anything is posted to the provider.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as client from '../../src/generated/client.js';
import { LimitReachedError, NotTeamMemberError } from '../../src/errors.js';
import { SubmitFailedError, submitGeneration, type SubmitConfig } from '../../src/wavespeed/index.js';
import type { FakeWaveSpeed } from '../../tools/fake-wavespeed.js';
import type { TestDatabase } from '../helpers/db.js';
import { glueModel, startGlueBench, type GlueBench } from '../helpers/wavespeed.js';

let bench: GlueBench;
let db: TestDatabase;
let fake: FakeWaveSpeed;
let config: SubmitConfig;

beforeAll(async () => {
  bench = await startGlueBench({ connections: 4, timeoutMs: 400 });
  ({ db, fake, config } = bench);
});
afterAll(() => bench?.close());
beforeEach(async () => {
  await fake.settled();
});

const submit = (userId: string, accountId: string) =>
  submitGeneration(db.sql, config, { userId, accountId, model: glueModel, input: { prompt: 'a studio shot' }, credits: 5 });
const balance = async (userId: string) => (await client.getCreditBalance(db.sql, { userId })).total_credits;

async function studio() {
  const team = randomUUID();
  const member = randomUUID();
  await client.ensureTeamAccount(db.sql, { teamId: team, tier: 'pro' });
  await client.addTeamMember(db.sql, { teamId: team, userId: member, dailyCreditLimit: 200 });
  return { team, member };
}

describe('submitGeneration with accountId (a team pays)', () => {
  it("charges the team for the member's generation; the task is the member's", async () => {
    const { team, member } = await studio();
    const submitted = await submit(member, team);
    expect(submitted).toMatchObject({ replayed: false, balance: 495 });
    await fake.settled();
    expect(await client.getGeneration(db.sql, { taskId: submitted.taskId })).toMatchObject({ user_id: member, status: 'completed' });
    expect(await balance(team)).toBe(495);
    expect(await client.verifyLedger(db.sql)).toEqual([]);
  });

  it("refunds the team when the provider refuses the member's generation", async () => {
    const { team, member } = await studio();
    fake.plan({ submit: 'http500' });
    const error = await submit(member, team).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitFailedError);
    expect(error).toMatchObject({ refunded: true, refundedCredits: 5, balance: 500 });
    expect(await balance(team)).toBe(500);
  });

  it('refuses past a limit with LimitReachedError, and posts nothing', async () => {
    const { team, member } = await studio();
    await client.setCreditLimits(db.sql, { userId: team, maxInFlight: 1, dailyCreditLimit: 0 });
    fake.plan({ webhook: 'stays-processing' });
    await submit(member, team);
    const posted = fake.predictions.size;
    const error = await submit(member, team).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitReachedError);
    expect(error).toMatchObject({ limit: 'in_flight', allowed: 1, current: 1, accountId: team, userId: member });
    expect(fake.predictions.size).toBe(posted);
  });

  it('refuses a removed member with NotTeamMemberError, and posts nothing', async () => {
    const { team, member } = await studio();
    await client.removeTeamMember(db.sql, { teamId: team, userId: member });
    const posted = fake.predictions.size;
    const error = await submit(member, team).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotTeamMemberError);
    expect(fake.predictions.size).toBe(posted);
    expect(await balance(team)).toBe(500);
  });
});
