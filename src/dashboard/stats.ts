// The admin document over HTTP, one route: the page's stats.json, and the deprecated
// adminCreditStatsRoute/adminCreditStatsExpress of the root export. One reading of the range
// (range.ts) and one error shape, {code, message}: 400 for a range the request gets wrong, 500
// for a database that cannot answer (saying what to do when it lacks the function).
import type { Sql } from '../client/runtime.js';
import { toExpress } from '../express.js';
import { adminCreditStats } from '../generated/client.js';
import { dashboardRange } from './range.js';

// The page loads only its own files and data; nothing inline, nothing from elsewhere.
export const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface StatsOptions {
  /** The clock ranges are counted from; default: now. */
  now?: () => Date;
  /** Rollups only, as of their last refresh (the page), or live figures (default false). */
  asOfRefresh?: boolean;
}

/** The document for the range `params` ask for, as JSON. */
export async function statsResponse(sql: Sql, params: URLSearchParams, options: StatsOptions = {}): Promise<Response> {
  let range: { from: Date; to: Date };
  try {
    range = dashboardRange(params, options.now?.() ?? new Date());
  } catch (error) {
    return Response.json({ code: 'CR003', message: (error as Error).message }, { status: 400, headers: securityHeaders });
  }
  try {
    const stats = await adminCreditStats(sql, { ...range, asOfRefresh: options.asOfRefresh ?? false });
    return Response.json(stats, { headers: { ...securityHeaders, 'cache-control': 'no-store' } });
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const message =
      e.code === '42883' || e.code === '3F000'
        ? 'the database has no admin_credit_stats(p_from, p_to, p_as_of_refresh): run credits migrate up'
        : (e.message ?? String(error));
    return Response.json({ code: e.code ?? 'internal', message }, { status: e.code === 'CR003' ? 400 : 500, headers: securityHeaders });
  }
}

/**
 * The document alone, live, as a Fetch route handler: GET ?days=N, ?from=&to= (days or instants).
 * @deprecated since 0.2: serve the page with dashboardRoute (pg-credits-ledger/dashboard), whose
 * <mount>/stats.json is this document as of the last refresh, or call adminCreditStats.
 * Kept for one release.
 */
export function adminCreditStatsRoute(sql: Sql): (request: Request) => Promise<Response> {
  return async (request) => statsResponse(sql, new URL(request.url).searchParams);
}

/**
 * adminCreditStatsRoute for Express.
 * @deprecated since 0.2: dashboardExpress (pg-credits-ledger/dashboard). Kept for one release.
 */
export function adminCreditStatsExpress(sql: Sql) {
  return toExpress((request) => statsResponse(sql, new URL(request.url).searchParams));
}
