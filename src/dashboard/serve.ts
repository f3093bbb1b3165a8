// `credits dashboard --serve`: the page and its data over node:http, on loopback unless told
// otherwise; with a token, every request must carry it (token-gate.ts).
import { hostname } from 'node:os';
import type { Sql } from '../client/runtime.js';
import { serveFetch, type ServedHandler } from '../serve-fetch.js';
import { dashboardRoute } from './handler.js';
import { requireToken } from './token-gate.js';

export const defaultDashboardPort = 8787;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export interface ServeDashboardOptions {
  host?: string;
  port?: number;
  token?: string;
}

/**
 * Without a token, only requests addressed to a loopback name: a web page whose domain is made to
 * resolve to 127.0.0.1 (DNS rebinding) would otherwise read the figures through the admin's browser.
 */
function loopbackHostOnly(handler: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    const host = (request.headers.get('host') ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (isLoopback(host)) return handler(request);
    return new Response(`421: this dashboard answers on 127.0.0.1 or localhost only, not ${host || 'an unnamed host'}\n`, {
      status: 421,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    });
  };
}

/** Serves the dashboard until closed; `pageUrl` is the page's address (with ?token= when there is one). */
export async function serveDashboard(sql: Sql, options: ServeDashboardOptions = {}): Promise<ServedHandler & { pageUrl: string }> {
  const route = dashboardRoute(sql);
  const handler = options.token ? requireToken(options.token, route) : loopbackHostOnly(route);
  // The page answers GET and HEAD: no request body is ever read (a 401 or 405 comes at once).
  const served = await serveFetch(handler, options.port ?? defaultDashboardPort, options.host ?? '127.0.0.1', { bodies: false });
  // Listening on every address: the link names this machine, the way others reach it.
  const base = /^http:\/\/(0\.0\.0\.0|\[::\]):/.test(served.url)
    ? served.url.replace(/^http:\/\/[^/]+:/, `http://${hostname()}:`)
    : served.url;
  return { ...served, pageUrl: `${base}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}` };
}
