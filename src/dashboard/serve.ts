// `credits dashboard --serve`: the page and its data over node:http, on loopback unless told
// otherwise; with a token, every request must carry it (token-gate.ts).
import { hostname } from 'node:os';
import type postgres from 'postgres';
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

/** Serves the dashboard until closed; `url` is the page's address (with ?token= when there is one). */
export async function serveDashboard(sql: postgres.Sql, options: ServeDashboardOptions = {}): Promise<ServedHandler & { pageUrl: string }> {
  const route = dashboardRoute(sql);
  const served = await serveFetch(options.token ? requireToken(options.token, route) : route, options.port ?? defaultDashboardPort, options.host ?? '127.0.0.1');
  // Listening on every address: the link names this machine, the way others reach it.
  const base = /^http:\/\/(0\.0\.0\.0|\[::\]):/.test(served.url) ? served.url.replace(/^http:\/\/[^/]+:/, `http://${hostname()}:`) : served.url;
  return { ...served, pageUrl: `${base}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}` };
}
