import { cleanupPreflight } from '../adoption/cleanup.js';
import type { CommandContext } from './context.js';

/** `credits cleanup check`: exit 0 when the cleanup can run (or ran), 1 when something depends on the pools. */
export async function cleanupCheckCommand(ctx: CommandContext): Promise<number> {
  const result = await cleanupPreflight(await ctx.reachableDatabaseUrl());
  ctx.print(result, () => {
    const { credit_pools, credit_purchase_requests } = result.rows;
    if (result.state === 'done') {
      console.log(
        `already archived: archive.credit_pools (${credit_pools} rows), archive.credit_purchase_requests (${credit_purchase_requests} rows)`,
      );
      return;
    }
    console.log(
      `to archive: credit_pools ${credit_pools} rows, credit_purchase_requests ${credit_purchase_requests} rows, function consume_platform_credits`,
    );
    if (result.state === 'ready') console.log('nothing depends on them: `credits migrate up` will archive them');
    else {
      console.log('blocked: these objects still depend on the pools (remove or rewrite them first):');
      for (const d of result.dependants) console.log(`  - ${d}`);
    }
  });
  return result.state === 'blocked' ? 1 : 0;
}
