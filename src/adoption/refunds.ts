// The refund audit and the batched backfill behind `credits refunds audit|backfill`.
import type postgres from 'postgres';

export interface RefundAudit {
  users: number;
  tasks: number;
  credits: number;
  topUsers: { user_id: string; tasks: number; credits_owed: number; last_failed_at: Date }[];
}

export async function auditRefunds(sql: postgres.Sql, top = 10): Promise<RefundAudit> {
  const [totals] = await sql<{ users: number; tasks: number; credits: number }[]>`
    select count(*)::int users, coalesce(sum(tasks), 0)::int tasks, coalesce(sum(credits_owed), 0)::int credits
      from monitoring.missing_refunds_by_user`;
  const topUsers = await sql<RefundAudit['topUsers']>`
    select user_id, tasks::int, credits_owed::int, last_failed_at
      from monitoring.missing_refunds_by_user order by credits_owed desc, user_id limit ${top}`;
  return { ...totals!, topUsers: [...topUsers] };
}

export interface BackfillResult {
  tasks: number;
  users: number;
  credits: number;
  batches: number;
}

/**
 * Refunds every missing refund in batches of `batchSize` tasks, one transaction each, so that a
 * large backfill holds its locks briefly and shows progress. Concurrent runs share the work.
 * Needs EXECUTE on backfill_missing_refunds (credits_service, or the owner).
 */
export async function backfillRefunds(
  sql: postgres.Sql,
  options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<BackfillResult> {
  const batchSize = options.batchSize ?? 500;
  const [count] = await sql<{ total: number }[]>`select count(*)::int total from monitoring.missing_refunds`;
  const total = count!.total;
  const users = new Set<string>();
  const result: BackfillResult = { tasks: 0, users: 0, credits: 0, batches: 0 };
  let after: string | null = null;
  for (;;) {
    // Each batch continues after the last task id of the one before (keyset), in id order.
    const rows: { task_id: string; user_id: string; credits: number; refunded: boolean }[] = await sql`
      select task_id, user_id, credits::int, refunded
        from backfill_missing_refunds(p_dry_run => false, p_limit => ${batchSize}, p_after => ${after})`;
    if (rows.length === 0) break;
    result.batches++;
    // biome-ignore lint/complexity/useMathMinMax: task ids are uuids, compared as text (Math.max takes numbers)
    after = rows.reduce((max, r) => (r.task_id > max ? r.task_id : max), rows[0]!.task_id);
    for (const r of rows.filter((r) => r.refunded)) {
      result.tasks++;
      users.add(r.user_id);
      result.credits += r.credits;
    }
    options.onProgress?.(result.tasks, Math.max(total, result.tasks));
  }
  result.users = users.size;
  return result;
}
