// Serving the dashboard: `credits dashboard --serve` as an operator runs it (loopback by default,
// a token for any other address, 401 without it), the Fetch handler's routes, and the Express
// form mounted under an admin path.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpress, dashboardRoute } from '../../src/dashboard/handler.js';
import { cliCommand, requireBuiltCli, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { streamUntilAnswered } from '../helpers/streaming.js';

let db: TestDatabase;
const TOKEN = 'test-token-0123456789abcdef';

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`select * from monitoring.refresh_rollups()`;
});
afterAll(() => db.drop());

/** Starts `credits dashboard --serve ...` and resolves with the page URL it prints. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  requireBuiltCli();
  const child = spawn(cliCommand[0], [cliCommand[1], 'dashboard', '--serve', '--port', '0', ...args], {
    env: { ...process.env, DATABASE_URL: db.url, ...env },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const url = /dashboard: (\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.stderr!.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

const residentBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const stopped = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });

describe('credits dashboard --serve', () => {
  it('serves the page and its data on loopback, and stops cleanly on Ctrl-C', async () => {
    const { child, url } = await serve([]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="dashboard.js">');
    for (const asset of ['dashboard.js', 'dashboard.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
      expect((await fetch(new URL(asset, url))).status, asset).toBe(200);
    }
    const stats = await fetch(new URL('stats.json?days=7', url));
    expect(stats.status).toBe(200);
    expect((await stats.json()).period.as_of_refresh).toBe(true);
    // A page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing.
    const port = new URL(url).port;
    const rebound = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/stats.json', headers: { host: `evil.example:${port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
    expect(rebound).toBe(421);
    expect(await stopped(child)).toBe(0);
  });

  it('says so when the port is taken, and exits 1', async () => {
    const { child, url } = await serve([]);
    const port = new URL(url).port;
    const taken = await runCli(['dashboard', '--serve', '--port', port], { DATABASE_URL: db.url });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE): pass another --port`);
    expect(await stopped(child)).toBe(0);
  });

  it('needs a token for any address but loopback, and answers 401 without it', async () => {
    const refused = await runCli(['dashboard', '--serve', '--host', '0.0.0.0'], {
      DATABASE_URL: db.url,
      CREDITS_DASHBOARD_TOKEN: undefined,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('give a token');
    expect((await runCli(['dashboard', '--serve', '--token', 'short'], { DATABASE_URL: db.url })).code).toBe(2);
    expect((await runCli(['dashboard', '--port', '8000'], { DATABASE_URL: db.url })).stderr).toContain('go with --serve');

    const { child, url } = await serve(['--host', '0.0.0.0'], { CREDITS_DASHBOARD_TOKEN: TOKEN });
    const page = new URL(url);
    expect(page.searchParams.get('token')).toBe(TOKEN);
    const base = `http://127.0.0.1:${page.port}`;
    for (const path of ['/', '/stats.json', '/dashboard.js', '/nowhere']) {
      expect((await fetch(base + path)).status, path).toBe(401);
    }
    expect((await fetch(`${base}/stats.json`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${base}/stats.json`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // the printed link: the token becomes a cookie, and the address bar loses it
    const link = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('./');
    const cookie = link.headers.get('set-cookie')!;
    expect(cookie).toContain('HttpOnly');
    // the redirect stays on this server whatever the path (no open redirect through //elsewhere)
    const sneaky = await fetch(`${base}/.//evil.example/x?token=${TOKEN}`, { redirect: 'manual' });
    expect(sneaky.headers.get('location')).toBe('./x');
    expect((await fetch(`${base}/stats.json?days=1`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    expect(await stopped(child)).toBe(0);
  });
});

describe('credits dashboard --serve, given a body', () => {
  // The page answers GET and HEAD: a body is never read, whatever its size. 48 MB offered, paced
  // while the first 2 MB go (so that the server has time to answer between two chunks).
  const hostile = { limit: 48 << 20, paceBytes: 2 << 20, pauseMs: 5, timeoutMs: 60_000 };

  it('answers at once without reading it: 401 without the token, 405 with it, before 1 MB is sent', async () => {
    const { child, url } = await serve(['--host', '0.0.0.0'], { CREDITS_DASHBOARD_TOKEN: TOKEN });
    const base = `http://127.0.0.1:${new URL(url).port}`;
    const server = child.pid!;
    expect((await fetch(`${base}/stats.json`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const before = residentBytes(server);

    const answers = {
      unauthenticated: await streamUntilAnswered(`${base}/stats.json`, hostile),
      withToken: await streamUntilAnswered(`${base}/stats.json`, { ...hostile, headers: { authorization: `Bearer ${TOKEN}` } }),
      getWithBody: await streamUntilAnswered(`${base}/`, { ...hostile, method: 'GET' }),
      putWithToken: await streamUntilAnswered(`${base}/`, { ...hostile, method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` } }),
    };
    // each closed after its answer: the unread body would otherwise be taken for the next request
    expect(answers).toMatchObject({
      unauthenticated: { status: 401, sentAll: false, connection: 'close' },
      withToken: { status: 405, sentAll: false, connection: 'close' },
      getWithBody: { status: 401, sentAll: false, connection: 'close' },
      putWithToken: { status: 405, sentAll: false, connection: 'close' },
    });
    for (const [name, answer] of Object.entries(answers)) expect(answer.sentBeforeAnswer, name).toBeLessThan(1 << 20);
    expect(residentBytes(server) - before).toBeLessThan(20 << 20);
    // and it still serves
    expect((await fetch(`${base}/stats.json`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(await stopped(child)).toBe(0);
  });

  it('on loopback without a token: 405 before 1 MB is sent', async () => {
    const { child, url } = await serve([]);
    const answer = await streamUntilAnswered(new URL('stats.json', url).href, hostile);
    expect(answer).toMatchObject({ status: 405, sentAll: false });
    expect(answer.sentBeforeAnswer).toBeLessThan(1 << 20);
    expect(await stopped(child)).toBe(0);
  });
});

describe('the handlers', () => {
  it('answers a bad period with 400 and what to send, and other methods with 405', async () => {
    const route = dashboardRoute(db.sql);
    const bad = await route(new Request('http://x/stats.json?from=2026-13-01&to=2026-12-01'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'CR003', message: expect.stringContaining('from') });
    for (const query of ['days=0', 'days=abc', 'from=2026-12-05&to=2026-12-01', 'from=2026-01-01']) {
      expect((await route(new Request(`http://x/stats.json?${query}`))).status, query).toBe(400);
    }
    expect((await route(new Request('http://x/', { method: 'POST' }))).status).toBe(405);
    for (const name of ['constructor', '__proto__', 'toString.js', 'missing.css']) {
      const answer = await route(new Request(`http://x/admin/${name}`));
      expect([200, 404], name).toContain(answer.status); // a page or nothing, never a 500
    }
    expect((await route(new Request('http://x/admin/hasOwnProperty.js'))).status).toBe(404);
    const custom = await route(new Request('http://x/stats.json?from=2026-11-01&to=2026-11-30'));
    expect((await custom.json()).period).toEqual({
      from: '2026-11-01T00:00:00+00:00',
      to: '2026-12-01T00:00:00+00:00',
      as_of_refresh: true,
    });
  });

  it('answers the page at its mount point only, its files and data under it, and 404 anywhere else', async () => {
    const status = async (route: (request: Request) => Promise<Response>, path: string, method = 'GET') =>
      (await route(new Request(`http://x${path}`, { method }))).status;
    const root = dashboardRoute(db.sql); // credits dashboard --serve: mounted at /
    for (const path of ['/', '/index.html', '/dashboard.js', '/stats.json?days=1']) expect(await status(root, path), path).toBe(200);
    for (const path of ['/nowhere', '/admin/dashboard', '/admin/dashboard/', '/nowhere/index.html', '/stats.json/x', '/dashboard.js/']) {
      expect(await status(root, path), path).toBe(404);
    }
    expect(await status(root, '/nowhere', 'HEAD')).toBe(404);
    const unknown = await root(new Request('http://x/nowhere'));
    expect(unknown.headers.get('content-type')).toContain('text/plain');
    expect(await unknown.text()).toContain('not found');

    const mounted = dashboardRoute(db.sql, { basePath: '/admin/dashboard/' });
    for (const path of ['/admin/dashboard', '/admin/dashboard/', '/admin/dashboard/index.html', '/admin/dashboard/stats.json?days=1']) {
      expect(await status(mounted, path), path).toBe(200);
    }
    for (const path of [
      '/',
      '/admin/dashboard/nowhere',
      '/admin/dashboard/a/',
      '/admin/dashboardx',
      '/admin/stats.json',
      '/other/dashboard.js',
    ]) {
      expect(await status(mounted, path), path).toBe(404);
    }
  });

  it("mounts under an Express admin path, behind the app's own authentication", async () => {
    const app = express();
    app.use(
      '/admin/dashboard',
      (req, res, next) => (req.get('x-admin') === 'yes' ? next() : res.status(403).end()),
      dashboardExpress(db.sql),
    );
    const http = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/admin/dashboard`;
    try {
      const admin = { headers: { 'x-admin': 'yes' } };
      expect((await fetch(`${base}/`)).status).toBe(403);
      // with or without its slash (frameworks remove it): the page's files resolve under the mount point
      for (const at of [base, `${base}/`]) {
        const page = await fetch(at, { ...admin, redirect: 'manual' });
        expect(page.status, at).toBe(200);
        expect(page.headers.get('content-type')).toContain('text/html');
        expect(await page.text()).toContain('<base href="/admin/dashboard/">');
      }
      expect((await fetch(`${base}/uPlot.iife.min.js`, admin)).headers.get('content-type')).toContain('javascript');
      const stats = await fetch(`${base}/stats.json?days=30`, admin);
      expect(stats.status).toBe(200);
      expect((await stats.json()).daily).toHaveLength(30);
      // the mount point is Express's: nothing else under it is the page
      for (const path of ['/nowhere', '/nowhere/', '/a/index.html']) expect((await fetch(base + path, admin)).status, path).toBe(404);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
