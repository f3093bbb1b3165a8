// The admin dashboard page as a Fetch-API handler, and its Express form: the page (dashboard/ in
// the package: HTML, CSS, a small script), uPlot (the charting library, from its npm package) and
// the data, admin_credit_stats as of the last rollup refresh for whole UTC days. Mount it under
// the application's admin area, behind its own authentication: it answers whoever reaches it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Sql } from '../client/runtime.js';
import { toExpress } from '../express.js';
import { packageRoot } from '../paths.js';
import { securityHeaders, statsResponse } from './stats.js';

const require = createRequire(import.meta.url);

/** The files the page is made of, by the name the page asks for (relative URLs: mount anywhere). */
const assets: Record<string, { file: () => string; type: string }> = {
  'index.html': { file: () => path.join(packageRoot, 'dashboard', 'index.html'), type: 'text/html; charset=utf-8' },
  'dashboard.css': { file: () => path.join(packageRoot, 'dashboard', 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { file: () => path.join(packageRoot, 'dashboard', 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.iife.min.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();
async function asset(name: string): Promise<Buffer> {
  let body = cache.get(name);
  if (!body) {
    body = await readFile(assets[name]!.file());
    cache.set(name, body);
  }
  return body;
}

export interface DashboardOptions {
  /** The clock the periods are counted from (tests); default: now. */
  now?: () => Date;
  /**
   * The path the dashboard is mounted at, as the request's URL shows it: '/admin/dashboard' for a
   * Next.js route app/admin/dashboard/[[...path]]/route.ts. Default '/' (dashboardRoute) or the
   * router's mount point, req.baseUrl (dashboardExpress). Any other path answers 404.
   */
  basePath?: string;
}

/** The page, its files resolved against the folder of `pathname` (a mount point without its slash included). */
async function page(pathname: string): Promise<string> {
  const folder = pathname.endsWith('/')
    ? pathname
    : pathname.endsWith('/index.html')
      ? pathname.slice(0, -'index.html'.length)
      : `${pathname}/`;
  // A path never holds a raw quote or angle bracket (URL percent-encodes them); escaped all the same.
  const href = folder.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  return (await asset('index.html')).toString('utf8').replace('<base href="./">', `<base href="${href}">`);
}

/**
 * What `pathname` names under the mount point `basePath`: 'index.html' for the page (the mount
 * point, with or without its slash, or its index.html), a file's or the data's name, or null for
 * anything else (a deeper path, another name, outside the mount point).
 */
function routeName(pathname: string, basePath: string): string | null {
  const base = basePath.replace(/\/+$/, '');
  if (pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  const rest = pathname.slice(base.length);
  if (rest === '' || rest === '/') return 'index.html';
  const name = rest.slice(1);
  return name === 'index.html' || name === 'stats.json' || Object.hasOwn(assets, name) ? name : null;
}

// Says where the page is: a route mounted elsewhere without its basePath answers 404 everywhere.
const notFound = (basePath: string) =>
  new Response(`not found: the dashboard is at ${basePath} (its mount point: Express's app.use path, else the option basePath)\n`, {
    status: 404,
    headers: { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' },
  });

/**
 * GET <mount> or <mount>/ → the page; <mount>/stats.json?days=N (1–1080, today and the N-1 days
 * before) or ?from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive UTC days) → admin_credit_stats as of the
 * last refresh; 400 {code, message} for a bad range; <mount>/<name> → the page's files; 404 for
 * every other path. The mount point is options.basePath, '/' by default.
 */
export function dashboardRoute(sql: Sql, options: DashboardOptions = {}): (request: Request) => Promise<Response> {
  return (request) => answer(sql, options, request, options.basePath ?? '/');
}

async function answer(sql: Sql, options: DashboardOptions, request: Request, basePath: string): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('method not allowed: GET or HEAD\n', { status: 405, headers: { ...securityHeaders, allow: 'GET, HEAD' } });
  }
  const url = new URL(request.url);
  const name = routeName(url.pathname, basePath);
  if (name === null) return notFound(basePath);
  if (name === 'stats.json')
    return statsResponse(sql, url.searchParams, { asOfRefresh: true, ...(options.now ? { now: options.now } : {}) });
  // The page names its files relatively, under a <base> set to its folder: no redirect to add a
  // trailing slash (frameworks that remove it would loop).
  const body = name === 'index.html' ? await page(url.pathname) : new Uint8Array(await asset(name));
  return new Response(request.method === 'HEAD' ? null : body, {
    headers: { ...securityHeaders, 'content-type': assets[name]!.type, 'cache-control': 'no-cache' },
  });
}

/** The same for Express (and Connect-style routers): app.use('/admin/dashboard', requireAdmin, dashboardExpress(sql)). */
export function dashboardExpress(sql: Sql, options: DashboardOptions = {}) {
  return toExpress((request, _body, mountPath) => answer(sql, options, request, options.basePath ?? (mountPath || '/')));
}
