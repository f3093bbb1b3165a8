// `credits dashboard`: today's health and the daily, weekly and monthly tables, readable at a
// glance in a terminal (figures past a threshold are marked with !). The figures come as one
// jsonb document built the way admin_credit_stats builds its own (to_jsonb of the view rows), so
// --json gives each figure the same shape: counts, rates and thresholds as numbers, dates and
// timestamps as ISO strings, money as exact decimal strings; `health` is admin_credit_stats'.
// Exit 1 on an alert (a threshold crossed, or the rollups' refresh stopped: today's figures are
// the last refresh's); a warning (today's spend incomplete) is printed but exits 0.
import type { CommandContext } from './context.js';
import { formatTable } from './format.js';
import { defaultDashboardPort, serveDashboard } from '../dashboard/serve.js';
import { interrupted } from '../interrupted.js';

type Row = Record<string, unknown>;
interface Dashboard {
  health: Row;
  daily: Row[];
  weekly: Row[];
  monthly: Row[];
  providers: Row[];
  hints: { provider: string; model: string; hint: string }[];
}

const percent = (v: unknown) => (v === null || v === undefined ? '–' : `${(Number(v) * 100).toFixed(1)}%`);
const usd = (v: unknown, digits = 2) => (v === null || v === undefined ? '–' : `$${Number(v).toFixed(digits)}`);
const flag = (text: string, on: unknown) => (on ? `${text} !` : text);

export async function dashboardCommand(ctx: CommandContext): Promise<number> {
  if (ctx.flags.serve) return serveCommand(ctx);
  const sql = ctx.connect();
  try {
    if (ctx.flags.refresh) await sql`select * from monitoring.refresh_rollups()`;
    const [{ dashboard }] = (await sql`
      with summary as (
        select s.*, to_jsonb(s) || jsonb_build_object('cost_usd', s.cost_usd::text, 'cost_per_generation', s.cost_per_generation::text) as doc
          from monitoring.summary s
      )
      select jsonb_build_object(
        'health', (select to_jsonb(h) || jsonb_build_object('cost_usd', h.cost_usd::text) from monitoring.platform_health h),
        'daily', (select coalesce(jsonb_agg(d.doc order by d.period_start desc), '[]')
                    from (select * from summary where granularity = 'day' order by period_start desc limit 14) d),
        'weekly', (select coalesce(jsonb_agg(w.doc || jsonb_build_object('active_users', a.active_users, 'new_users', a.new_users)
                                             order by w.period_start desc), '[]')
                     from (select * from summary where granularity = 'week' order by period_start desc limit 8) w
                     left join monitoring.user_activity_weekly a on a.week = w.period_start),
        'monthly', (select coalesce(jsonb_agg(m.doc order by m.period_start desc), '[]')
                      from (select * from summary where granularity = 'month' order by period_start desc limit 6) m),
        'providers', (select coalesce(jsonb_agg(to_jsonb(p) || jsonb_build_object('cost_usd', p.cost_usd::text, 'cost_per_success', p.cost_per_success::text)
                                                order by p.cost_usd desc, p.provider), '[]')
                        from monitoring.provider_performance p),
        'hints', (select coalesce(jsonb_agg(jsonb_build_object('provider', o.provider, 'model', o.model, 'hint', o.hint)
                                            order by o.provider, o.model), '[]')
                    from monitoring.optimization_hints o)
      ) as dashboard`) as unknown as [{ dashboard: Dashboard }];
    const { health: h, daily, weekly, monthly, providers, hints } = dashboard;

    ctx.print(dashboard, () => {
      const line = (label: string, value: string, limit: string, status: unknown) =>
        `  ${label.padEnd(14)} ${value.padStart(8)}   ${limit.padEnd(12)} ${status === 'alert' ? 'ALERT' : status === 'incomplete' ? 'INCOMPLETE' : String(status)}`;
      console.log(`Platform health ${String(h.day)} (UTC): ${String(h.status).toUpperCase()}`);
      console.log(line('success rate', percent(h.success_rate), `min ${percent(h.success_rate_min)}`, h.success_status));
      console.log(line('failures', String(h.failures), `max ${String(h.failures_max)}`, h.failures_status));
      console.log(line('refund rate', percent(h.refund_rate), `max ${percent(h.refund_rate_max)}`, h.refund_status));
      console.log(line('stuck tasks', String(h.stuck_tasks), `max ${String(h.stuck_tasks_max)}`, h.stuck_status));
      // Spend with completions of unknown cost is a lower bound: say so rather than print it as the total.
      console.log(
        line('cost', usd(h.cost_usd), `priced ${percent(h.cost_coverage)}`, h.cost_status) +
          (Number(h.unpriced) > 0 ? ` (${String(h.unpriced)} completions without a known cost)` : ''),
      );
      console.log(
        `  rollups refreshed ${h.rollups_refreshed_at ? new Date(String(h.rollups_refreshed_at)).toISOString() : 'never (run monitoring.refresh_rollups(), or pass --refresh)'}` +
          (h.rollups_status === 'stale'
            ? '   ALERT: the refresh has stopped (schedule monitoring.refresh_rollups() every minute; --refresh runs it now)'
            : ''),
      );

      const period = (rows: Row[], extra: (r: Row) => Row = () => ({})) =>
        formatTable(
          rows.map((r) => ({
            period: String(r.period_start),
            generations: r.generations,
            failed: r.failed,
            success: flag(percent(r.success_rate), r.success_below_threshold),
            refunds: flag(percent(r.refund_rate), r.refund_above_threshold),
            cost: usd(r.cost_usd),
            'cost/gen': usd(r.cost_per_generation, 4),
            ...extra(r),
          })),
        );
      console.log(`\nDaily (last 14 days)\n${period(daily)}`);
      console.log(
        `\nWeekly (last 8 weeks)\n${period(weekly, (r) => ({ 'active users': r.active_users ?? '–', new: r.new_users ?? '–' }))}`,
      );
      console.log(`\nMonthly (last 6 months)\n${period(monthly)}`);
      console.log(
        `\nProviders (last 7 days)\n${formatTable(
          providers.map((p) => ({
            provider: p.provider,
            generations: p.generations,
            success: percent(p.success_rate),
            'p50 s': p.latency_p50_ms === null ? '–' : (Number(p.latency_p50_ms) / 1000).toFixed(1),
            'p95 s': p.latency_p95_ms === null ? '–' : (Number(p.latency_p95_ms) / 1000).toFixed(1),
            cost: usd(p.cost_usd),
            'cost/success': usd(p.cost_per_success, 4),
          })),
        )}`,
      );
      console.log(
        `\nOptimization hints (last 30 days)\n${hints.length ? hints.map((x) => `  ${x.provider}/${x.model}: ${x.hint}`).join('\n') : '  none'}`,
      );
    });
    return h.status === 'alert' ? 1 : 0;
  } finally {
    await sql.end();
  }
}

/** --serve: the page until Ctrl-C (SIGINT or SIGTERM), then a clean exit. */
async function serveCommand(ctx: CommandContext): Promise<number> {
  const sql = ctx.connect();
  try {
    await sql`select 1`; // fail now, not at the first request, when the database is unreachable
    if (ctx.flags.refresh) await sql`select * from monitoring.refresh_rollups()`;
    const served = await serveDashboard(sql, { host: ctx.flags.host, port: ctx.flags.port, token: ctx.flags.token }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE' && error.code !== 'EADDRNOTAVAIL') throw error;
        console.error(
          `credits dashboard: cannot listen on ${ctx.flags.host ?? '127.0.0.1'}:${ctx.flags.port ?? defaultDashboardPort} (${error.code}): pass another --port (0 picks a free one) or --host`,
        );
        return undefined;
      },
    );
    if (!served) return 1;
    console.log(
      `dashboard: ${served.pageUrl}\n(figures as of the last rollup refresh: ${
        ctx.flags.refresh
          ? 'refreshed now and every minute while this runs'
          : 'schedule monitoring.refresh_rollups() every minute, or pass --refresh to have this run it'
      }; Ctrl-C stops)`,
    );
    const refresher = ctx.flags.refresh
      ? setInterval(() => void sql`select * from monitoring.refresh_rollups()`.catch(() => {}), 60_000)
      : undefined;
    await interrupted();
    clearInterval(refresher);
    await served.close();
    return 0;
  } finally {
    await sql.end();
  }
}
