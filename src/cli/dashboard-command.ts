// `credits dashboard`: today's health and the daily, weekly and monthly tables, readable at a
// glance in a terminal (figures past a threshold are marked with !). Exit 1 on an alert; a
// warning (today's spend incomplete) is printed but exits 0.
import type { CommandContext } from './context.js';
import { formatTable } from './format.js';

const percent = (v: unknown) => (v === null || v === undefined ? '–' : `${(Number(v) * 100).toFixed(1)}%`);
const usd = (v: unknown) => (v === null || v === undefined ? '–' : `$${Number(v).toFixed(2)}`);
const flag = (text: string, on: boolean) => (on ? `${text} !` : text);
const isoDay = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

export async function dashboardCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    if (ctx.flags.refresh) await sql`select * from monitoring.refresh_rollups()`;
    const [health] = await sql`select * from monitoring.platform_health`;
    const daily = await sql`select * from monitoring.summary where granularity = 'day' order by period_start desc limit 14`;
    const weekly = await sql`select s.*, a.active_users, a.new_users from monitoring.summary s
                               left join monitoring.user_activity_weekly a on a.week = s.period_start
                              where s.granularity = 'week' order by s.period_start desc limit 8`;
    const monthly = await sql`select * from monitoring.summary where granularity = 'month' order by period_start desc limit 6`;
    const providers = await sql`select * from monitoring.provider_performance order by cost_usd desc`;
    const hints = await sql`select provider, model, hint from monitoring.optimization_hints order by provider, model`;

    ctx.print({ health, daily, weekly, monthly, providers, hints }, () => {
      const h = health!;
      const line = (label: string, value: string, limit: string, status: string) =>
        `  ${label.padEnd(14)} ${value.padStart(8)}   ${limit.padEnd(12)} ${status === 'alert' ? 'ALERT' : status === 'incomplete' ? 'INCOMPLETE' : status}`;
      console.log(`Platform health ${isoDay(h.day)} (UTC): ${String(h.status).toUpperCase()}`);
      console.log(line('success rate', percent(h.success_rate), `min ${percent(h.success_rate_min)}`, h.success_status));
      console.log(line('failures', String(h.failures), `max ${h.failures_max}`, h.failures_status));
      console.log(line('refund rate', percent(h.refund_rate), `max ${percent(h.refund_rate_max)}`, h.refund_status));
      console.log(line('stuck tasks', String(h.stuck_tasks), `max ${h.stuck_tasks_max}`, h.stuck_status));
      // Spend with completions of unknown cost is a lower bound: say so rather than print it as the total.
      console.log(line('cost', usd(h.cost_usd), `priced ${percent(h.cost_coverage)}`, h.cost_status)
        + (Number(h.unpriced) > 0 ? ` (${h.unpriced} completions without a known cost)` : ''));
      console.log(`  rollups refreshed ${h.rollups_refreshed_at ? new Date(h.rollups_refreshed_at).toISOString() : 'never (run monitoring.refresh_rollups)'}`);

      const period = (rows: typeof daily, extra: (r: (typeof daily)[number]) => Record<string, unknown> = () => ({})) =>
        formatTable(rows.map((r) => ({
          period: isoDay(r.period_start),
          generations: r.generations,
          failed: r.failed,
          'success': flag(percent(r.success_rate), r.success_below_threshold),
          'refunds': flag(percent(r.refund_rate), r.refund_above_threshold),
          cost: usd(r.cost_usd),
          'cost/gen': r.cost_per_generation === null ? '–' : `$${Number(r.cost_per_generation).toFixed(4)}`,
          ...extra(r),
        })));
      console.log(`\nDaily (last 14 days)\n${period(daily)}`);
      console.log(`\nWeekly (last 8 weeks)\n${period(weekly, (r) => ({ 'active users': r.active_users ?? '–', new: r.new_users ?? '–' }))}`);
      console.log(`\nMonthly (last 6 months)\n${period(monthly)}`);
      console.log(`\nProviders (last 7 days)\n${formatTable(providers.map((p) => ({
        provider: p.provider, generations: p.generations, success: percent(p.success_rate),
        'p50 s': p.latency_p50_ms === null ? '–' : (Number(p.latency_p50_ms) / 1000).toFixed(1),
        'p95 s': p.latency_p95_ms === null ? '–' : (Number(p.latency_p95_ms) / 1000).toFixed(1),
        cost: usd(p.cost_usd), 'cost/success': p.cost_per_success === null ? '–' : `$${Number(p.cost_per_success).toFixed(4)}`,
      })))}`);
      console.log(`\nOptimization hints (last 30 days)\n${hints.length ? hints.map((x) => `  ${x.provider}/${x.model}: ${x.hint}`).join('\n') : '  none'}`);
    });
    return health!.status === 'alert' ? 1 : 0;
  } finally {
    await sql.end();
  }
}
