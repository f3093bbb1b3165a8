// `credits close-ledger`: the daily closing (issue 30), from cron or a scheduler soon after
// 00:00 UTC. Refused (exit 1, CR005) while a transaction begun before the instant is still open,
// or when the ledger is not sound; its next run closes it.
import * as client from '../generated/client.js';
import type { CommandContext } from './context.js';
import { formatRecord } from './format.js';

/** `credits close-ledger [--through TIME]`: close_ledger. */
export async function closeLedgerCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    const closed = await client.closeLedger(sql, ctx.flags.through ? { through: ctx.flags.through } : {});
    ctx.print(closed, () => console.log(formatRecord({ ...closed })));
    return 0;
  } finally {
    await sql.end();
  }
}
