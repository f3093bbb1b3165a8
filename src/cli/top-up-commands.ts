// `credits set-auto-top-up` and `credits decline-top-up`: automatic top-ups (contract §13) for
// an operator, each a call of its SQL function.
import * as client from '../generated/client.js';
import type { CommandContext } from './context.js';
import { formatRecord } from './format.js';

/** `credits set-auto-top-up USER (--threshold N --target N [--monthly-limit N|none] | --off)`: set_auto_top_up. */
export async function setAutoTopUpCommand(ctx: CommandContext): Promise<number> {
  const userId = ctx.args[0]!;
  const { off, threshold, target, monthlyLimit } = ctx.flags;
  const sql = ctx.connect();
  try {
    const settings = await client.setAutoTopUp(sql, {
      userId,
      threshold: off ? null : threshold!,
      target: off ? null : target!,
      monthlyLimit: off ? null : (monthlyLimit ?? null),
    });
    ctx.print(settings, () => console.log(formatRecord({ user_id: userId, ...settings })));
    return 0;
  } finally {
    await sql.end();
  }
}

/** `credits decline-top-up EVENT-ID`: decline_top_up. */
export async function declineTopUpCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const declined = await client.declineTopUp(sql, { eventId: Number(ctx.args[0]) });
    ctx.print(declined, () => console.log(formatRecord({ ...declined })));
    return 0;
  } finally {
    await sql.end();
  }
}
