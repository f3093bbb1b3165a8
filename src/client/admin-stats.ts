// The admin dashboard's document (admin_credit_stats) as TypeScript, and a ready route handler.
// Money arrives as decimal strings (exact; convert with a decimal library, never parseFloat
// for sums); counts and rates as numbers.
import type postgres from 'postgres';
import { adminCreditStats, type Sql } from '../generated/client.js';

export interface ProviderModelStats {
  model: string;
  generations: number;
  succeeded: number;
  failed: number;
  provider_cost_usd: string;
  /** Completions with no known provider cost: not in provider_cost_usd. */
  unpriced: number;
}

export interface ProviderStats {
  provider: string;
  generations: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
  provider_cost_usd: string;
  /** Over priced completions only. */
  cost_per_success: string | null;
  /** Completions with no known provider cost. */
  unpriced: number;
  /** Share of completions whose cost is known; null without completions. */
  cost_coverage: number | null;
  models: ProviderModelStats[];
}

export interface PlatformHealth {
  day: string;
  success_rate: number | null;
  success_rate_min: number;
  success_status: 'ok' | 'alert' | 'no_data';
  failures: number;
  failures_max: number;
  failures_status: 'ok' | 'alert';
  refund_rate: number | null;
  refund_rate_max: number;
  refund_status: 'ok' | 'alert' | 'no_data';
  stuck_tasks: number;
  stuck_tasks_max: number;
  stuck_status: 'ok' | 'alert';
  /** Known provider cost of today's generations. */
  cost_usd: string;
  unpriced: number;
  cost_coverage: number | null;
  /** 'incomplete' when some of today's completions have no known cost. */
  cost_status: 'ok' | 'incomplete' | 'no_data';
  /** 'alert' when a threshold is crossed, else 'warn' when today's spend is incomplete. */
  status: 'ok' | 'warn' | 'alert';
  rollups_refreshed_at: string | null;
}

export interface AdminCreditStats {
  period: { from: string; to: string };
  totals: {
    generations: number;
    succeeded: number;
    failed: number;
    in_flight: number;
    credits_charged: number;
    credits_refunded: number;
    provider_cost_usd: string;
  };
  success_rate: number | null;
  providers: ProviderStats[];
  failures: {
    total: number;
    by_source: Partial<Record<'callback' | 'api_error' | 'timeout' | 'admin' | 'unknown', number>>;
    top_errors: { provider: string; failure_source: string; error: string; failures: number }[];
  };
  refunds: { tasks: number; credits: number; rate: number | null };
  /** Is the spend complete? Completions with no known cost, and the models they came from. */
  pricing: {
    complete: boolean;
    unpriced: number;
    coverage: number | null;
    unpriced_models: { provider: string; model: string; unpriced: number }[];
  };
  top_users: { user_id: string; generations: number; credits_charged: number; provider_cost_usd: string }[];
  health: PlatformHealth;
  data_through: string | null;
}

/** admin_credit_stats for generations started in [from, to) (default: the last 30 days). */
export async function getAdminCreditStats(sql: Sql, range: { from?: Date; to?: Date } = {}): Promise<AdminCreditStats> {
  const to = range.to ?? new Date();
  const from = range.from ?? new Date(to.getTime() - 30 * 86_400_000);
  // Through the generated client: the same parsing whatever transform the caller's sql has.
  return (await adminCreditStats(sql, { from, to })) as unknown as AdminCreditStats;
}

function parseDate(value: string | null, name: string): Date | undefined {
  if (value === null || value === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw Object.assign(new Error(`${name} is not a date: ${value}`), { code: 'CR003' });
  return date;
}

/**
 * A Fetch-API route handler (Next.js route handlers, Hono, Bun, Deno…): GET ?from=ISO&to=ISO →
 * the document as JSON; 400 with {code, message} for a bad range. Put it behind your admin
 * authentication: it answers whoever reaches it.
 */
export function adminCreditStatsRoute(sql: postgres.Sql): (request: Request) => Promise<Response> {
  return async (request) => {
    const params = new URL(request.url).searchParams;
    try {
      const stats = await getAdminCreditStats(sql, { from: parseDate(params.get('from'), 'from'), to: parseDate(params.get('to'), 'to') });
      return Response.json(stats, { headers: { 'cache-control': 'no-store' } });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === 'CR003') return Response.json({ code: e.code, message: e.message }, { status: 400 });
      throw error;
    }
  };
}

interface ExpressLikeRequest {
  protocol?: string;
  originalUrl?: string;
  url?: string;
  get?(name: string): string | undefined;
}
interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  set(name: string, value: string): ExpressLikeResponse;
  send(body: string): unknown;
}

/** The same handler for Express (and Connect-style routers): app.get('/admin/credit-stats', requireAdmin, handler). */
export function adminCreditStatsExpress(sql: postgres.Sql) {
  const route = adminCreditStatsRoute(sql);
  return async (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => {
    try {
      const response = await route(new Request(new URL(req.originalUrl ?? req.url ?? '/', 'http://localhost')));
      res.status(response.status).set('content-type', 'application/json').set('cache-control', 'no-store').send(await response.text());
    } catch (error) {
      next(error);
    }
  };
}
