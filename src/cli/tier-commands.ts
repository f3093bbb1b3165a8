// `credits tiers list|set`: the tiers an admin edits (contract §13), their accounts, and
// upsert_credit_tier.
import * as client from '../generated/client.js';
import type { CommandContext } from './context.js';
import { formatRecord, formatTable } from './format.js';

/** `credits tiers list`: every tier with its values and how many accounts are on it. */
export async function tiersListCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const tiers = await sql<Record<string, unknown>[]>`
      select t.tier, t.monthly_allowance, t.low_balance_threshold, t.max_in_flight, t.daily_credit_limit, t.rollover_cap,
             (select count(*) from user_credits uc where uc.tier = t.tier)::int as accounts
        from credit_tiers t order by t.monthly_allowance, t.tier`;
    ctx.print(tiers, () => console.log(formatTable(tiers.map((t) => ({ ...t })))));
    return 0;
  } finally {
    await sql.end();
  }
}

/**
 * `credits tiers set TIER --allowance N [--threshold N|none] [--max-in-flight N|none]
 * [--daily-credits N|none] [--rollover-cap N]`: upsert_credit_tier, every value replaced (an
 * option left out is none, or 0 for the rollover cap).
 */
export async function tiersSetCommand(ctx: CommandContext): Promise<number> {
  const tier = ctx.args[0]!;
  const sql = ctx.connect();
  try {
    // none (0 or null) and left out alike: the function's default, no threshold or limit
    const stored = await client.upsertCreditTier(sql, {
      tier,
      monthlyAllowance: ctx.flags.allowance!,
      lowBalanceThreshold: ctx.flags.threshold || undefined,
      maxInFlight: ctx.flags.maxInFlight || undefined,
      dailyCreditLimit: ctx.flags.dailyCredits || undefined,
      rolloverCap: ctx.flags.rolloverCap ?? 0,
    });
    ctx.print(stored, () => console.log(formatRecord({ ...stored })));
    return 0;
  } finally {
    await sql.end();
  }
}
