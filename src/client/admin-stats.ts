// Ready route handlers for the admin dashboard's document (admin_credit_stats, typed as
// AdminCreditStats in documents.ts and returned by the generated adminCreditStats).
import type { Sql } from './runtime.js';
import { adminCreditStats } from '../generated/client.js';

function parseDate(value: string | null, name: string): Date | undefined {
  if (value === null || value === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw Object.assign(new Error(`${name} is not a date: ${value}`), { code: 'CR003' });
  return date;
}

/** The range a request asks for: [from, to), 30 days before `to` when `from` is not given, `to` now by default. */
function requestedRange(params: URLSearchParams): { from: Date; to: Date } {
  const to = parseDate(params.get('to'), 'to') ?? new Date();
  return { from: parseDate(params.get('from'), 'from') ?? new Date(to.getTime() - 30 * 86_400_000), to };
}

/**
 * A Fetch-API route handler (Next.js route handlers, Hono, Bun, Deno…): GET ?from=ISO&to=ISO →
 * the document as JSON; 400 with {code, message} for a bad range. Put it behind your admin
 * authentication: it answers whoever reaches it.
 */
export function adminCreditStatsRoute(sql: Sql): (request: Request) => Promise<Response> {
  return async (request) => {
    const params = new URL(request.url).searchParams;
    try {
      const stats = await adminCreditStats(sql, requestedRange(params));
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
export function adminCreditStatsExpress(sql: Sql) {
  const route = adminCreditStatsRoute(sql);
  return async (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => {
    try {
      const response = await route(new Request(new URL(req.originalUrl ?? req.url ?? '/', 'http://localhost')));
      res
        .status(response.status)
        .set('content-type', 'application/json')
        .set('cache-control', 'no-store')
        .send(await response.text());
    } catch (error) {
      next(error);
    }
  };
}
