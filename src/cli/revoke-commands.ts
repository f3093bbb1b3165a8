// `credits revoke-credits` and `credits void-promotional-grant`: taking credits back (contract
// §13) for an operator, each a call of its SQL function.
import * as client from '../generated/client.js';
import type { CommandContext } from './context.js';
import { formatRecord } from './format.js';

/** `credits revoke-credits USER CREDITS --reason R --key K`: revoke_credits. */
export async function revokeCommand(ctx: CommandContext): Promise<number> {
  const [userId, credits] = ctx.args as [string, string];
  const sql = ctx.connect();
  try {
    const revocation = await client.revokeCredits(sql, {
      userId,
      credits: Number(credits),
      reason: ctx.flags.reason!,
      idempotencyKey: ctx.flags.key!,
    });
    ctx.print(revocation, () => console.log(formatRecord({ user_id: userId, ...revocation })));
    return 0;
  } finally {
    await sql.end();
  }
}

/** `credits void-promotional-grant USER LOT --reason R`: void_promotional_grant. */
export async function voidGrantCommand(ctx: CommandContext): Promise<number> {
  const [userId, lotId] = ctx.args as [string, string];
  const sql = ctx.connect();
  try {
    const voided = await client.voidPromotionalGrant(sql, { userId, lotId: Number(lotId), reason: ctx.flags.reason! });
    ctx.print(voided, () => console.log(formatRecord({ user_id: userId, ...voided })));
    return 0;
  } finally {
    await sql.end();
  }
}
