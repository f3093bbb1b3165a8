// `credits team create|add|remove|list` and `credits limits`: team balances and limits
// (contract §12) for an operator, each a call of its SQL function.
import * as client from '../generated/client.js';
import type { CommandContext } from './context.js';
import { formatRecord, formatTable } from './format.js';

/** `credits team create TEAM [--tier T]`: ensure_team_account. */
export async function teamCreateCommand(ctx: CommandContext): Promise<number> {
  const teamId = ctx.args[0]!;
  const sql = ctx.connect();
  try {
    const team = await client.ensureTeamAccount(sql, { teamId, ...(ctx.flags.tier ? { tier: ctx.flags.tier } : {}) });
    ctx.print(team, () => console.log(formatRecord({ team_id: teamId, ...team })));
    return 0;
  } finally {
    await sql.end();
  }
}

/** `credits team add TEAM USER [--daily-cap N]`: add_team_member (again: a new cap). */
export async function teamAddCommand(ctx: CommandContext): Promise<number> {
  const [teamId, userId] = ctx.args as [string, string];
  const sql = ctx.connect();
  try {
    const member = await client.addTeamMember(sql, {
      teamId,
      userId,
      ...(ctx.flags.dailyCap !== undefined ? { dailyCreditLimit: ctx.flags.dailyCap } : {}),
    });
    ctx.print(member, () => console.log(formatRecord({ team_id: teamId, user_id: userId, ...member })));
    return 0;
  } finally {
    await sql.end();
  }
}

/** `credits team remove TEAM USER`: remove_team_member. */
export async function teamRemoveCommand(ctx: CommandContext): Promise<number> {
  const [teamId, userId] = ctx.args as [string, string];
  const sql = ctx.connect();
  try {
    const result = await client.removeTeamMember(sql, { teamId, userId });
    ctx.print(result, () =>
      console.log(result.removed ? `removed ${userId} from team ${teamId}` : `${userId} was not a member of team ${teamId}`),
    );
    return 0;
  } finally {
    await sql.end();
  }
}

/** `credits team list TEAM [--include-removed]`: the team's balance, then list_team_members. */
export async function teamListCommand(ctx: CommandContext): Promise<number> {
  const teamId = ctx.args[0]!;
  const sql = ctx.connect();
  try {
    const members = await client.listTeamMembers(sql, { teamId, includeRemoved: ctx.flags.includeRemoved ?? false });
    const balance = await client.getCreditBalance(sql, { userId: teamId });
    ctx.print({ team_id: teamId, balance, members }, () => {
      console.log(
        formatRecord({
          team_id: teamId,
          balance: balance.total_credits,
          tier: balance.tier,
          in_flight: `${balance.in_flight}${balance.max_in_flight === null ? '' : ` of ${balance.max_in_flight}`}`,
          spent_today: `${balance.spent_today}${balance.daily_credit_limit === null ? '' : ` of ${balance.daily_credit_limit}`}`,
        }),
      );
      console.log(members.length ? `\n${formatTable(members.map((m) => ({ ...m })))}` : '\nno members');
    });
    return 0;
  } finally {
    await sql.end();
  }
}

/**
 * `credits limits USER [--max-in-flight N|none|tier --daily-credits N|none|tier]`: without
 * options, the limits in effect and today's usage; with them, set_credit_limits (both at once).
 */
export async function limitsCommand(ctx: CommandContext): Promise<number> {
  const userId = ctx.args[0]!;
  const sql = ctx.connect();
  try {
    if (ctx.flags.maxInFlight !== undefined) {
      // null is "the tier's": the function takes it though the generated type says number
      await client.setCreditLimits(sql, {
        userId,
        maxInFlight: ctx.flags.maxInFlight as number,
        dailyCreditLimit: ctx.flags.dailyCredits as number,
      });
    }
    const b = await client.getCreditBalance(sql, { userId });
    const limits = {
      user_id: userId,
      tier: b.tier,
      max_in_flight: b.max_in_flight,
      in_flight: b.in_flight,
      daily_credit_limit: b.daily_credit_limit,
      spent_today: b.spent_today,
    };
    ctx.print(limits, () =>
      console.log(
        formatRecord({ ...limits, max_in_flight: b.max_in_flight ?? 'none', daily_credit_limit: b.daily_credit_limit ?? 'none' }),
      ),
    );
    return 0;
  } finally {
    await sql.end();
  }
}
