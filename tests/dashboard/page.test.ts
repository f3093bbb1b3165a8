// The admin dashboard page in a real headless Chromium, served by dashboardRoute from a seeded
// database: no console error or failed request; every figure, cell and threshold state equals
// admin_credit_stats' value for the same range (the page keeps the value it shows in
// data-value); the alerts of a bad day; "no data" on an empty database; the period selector,
// the period in the address (reload, back, forward) and a refused range; the top users' labels;
// each chart's plotted points against its table, on an axis of whole days; no horizontal scroll
// at laptop and phone widths, the health table whole at both. Screenshots go to test-results/;
// DOCS_SCREENSHOT=1 (npm run docs:screenshot) also refreshes docs/images/dashboard.png.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoute } from '../../src/dashboard/handler.js';
import { packageRoot } from '../../src/paths.js';
import { serveFetch, type ServedHandler } from '../../src/serve-fetch.js';
import { launchBrowser } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const DAY = 86_400_000;
const today = () => new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * 30 days of generations on two providers; today 50 of them, 45 completed and 5 failed (90 %
 * success), the failures refunded 8 of 98 credits (8.2 %): both thresholds crossed; three
 * completions settled their 2-credit hold at 1 (held 98, used 87).
 */
async function seedBadDay(sql: TestDatabase['sql']) {
  await sql`
    insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, provider_cost_usd,
                                   failure_source, error_message, created_at, submitted_at, updated_at, completed_at)
    select ('00000000-0000-0000-0000-' || lpad((i % 23)::text, 12, '0'))::uuid, 'enhance',
           case when i % 4 = 0 then 'fal' else 'wavespeed' end, case when i % 3 = 0 then 'nano-banana-pro' else 'nano-banana' end,
           case when i % 25 = 0 then 'failed' else 'completed' end, 1 + i % 3,
           case when i % 25 = 0 then 0 else 0.039 + (i % 3) * 0.05 end,
           case when i % 25 = 0 then (array['callback', 'api_error', 'timeout'])[1 + i % 3] end,
           case when i % 25 = 0 then 'content policy violation' end,
           at, at, at + make_interval(secs => 2 + i % 40), at + make_interval(secs => 2 + i % 40)
      from (select i, ${today()}::timestamptz - make_interval(days => i % 28, secs => 1 + (i * 97) % 80000) as at
              from generate_series(1, 900) i) x`;
  // today: 45 completions at 2 credits, 5 failures refunding 2 + 2 + 2 + 1 + 1
  await sql`
    insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, provider_cost_usd,
                                   failure_source, error_message, created_at, submitted_at, updated_at, completed_at)
    select ('00000000-0000-0000-0000-' || lpad((i % 7)::text, 12, '0'))::uuid, 'enhance', 'wavespeed', 'nano-banana',
           case when i <= 5 then 'failed' else 'completed' end, case when i in (4, 5) then 1 else 2 end,
           case when i <= 5 then 0 else 0.039 end,
           case when i <= 5 then 'callback' end, case when i <= 5 then 'nsfw filter' end,
           at, at, at + interval '3 seconds', at + interval '3 seconds'
      from (select i, least(now() - interval '1 second', ${today()}::timestamptz + make_interval(secs => i * 60)) as at
              from generate_series(1, 50) i) x`;
  // three of today's completions used 1 of their 2 credits held: settled back (contract §11), not refunded
  await sql`
    update enhancement_tasks set credits_settled_back = 1
     where id in (select id from enhancement_tasks where created_at >= ${today()} and status = 'completed' and credits_used = 2
                   order by created_at limit 3)`;
  // a studio (contract §12): three members' generations, two days ago, paid by the team, which
  // the rankings count as one account (the most credits charged) with its members
  await sql`select ensure_team_account('00000000-0000-0000-0000-0000000000ee', 'pro')`;
  await sql`select add_team_member('00000000-0000-0000-0000-0000000000ee', ('00000000-0000-0000-0000-0000000001' || m)::uuid)
              from (values ('01'), ('02'), ('03')) v(m)`;
  await sql`
    insert into enhancement_tasks (user_id, account_id, task_type, provider, model, status, credits_used, provider_cost_usd,
                                   created_at, submitted_at, updated_at, completed_at)
    select ('00000000-0000-0000-0000-0000000001' || lpad((1 + i % 3)::text, 2, '0'))::uuid, '00000000-0000-0000-0000-0000000000ee',
           'enhance', 'wavespeed', 'nano-banana', 'completed', 3, 0.039, at, at, at + interval '5 seconds', at + interval '5 seconds'
      from (select i, ${today()}::timestamptz - interval '2 days' + make_interval(secs => i * 300) as at
              from generate_series(1, 60) i) x`;
  // a chargeback took 700 credits back from the team, which held 500: it owes 200 (contract §13)
  await sql`select revoke_credits('00000000-0000-0000-0000-0000000000ee', 700, 'chargeback', 'dp_1')`;
  await sql`select * from monitoring.refresh_rollups()`;
}

let browser: Browser;
let seeded: { db: TestDatabase; server: ServedHandler };
let empty: { db: TestDatabase; server: ServedHandler };

async function serve(db: TestDatabase) {
  return { db, server: await serveFetch(dashboardRoute(db.sql)) };
}

/** Opens the page, failing on any console error or failed request. */
async function open(url: string, width = 1366): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"]');
  return { page, problems };
}

async function documentFor(db: TestDatabase, from: Date, to: Date): Promise<any> {
  const [{ s }] = (await db.sql`select admin_credit_stats(${from}, ${to}, true) s`) as unknown as [{ s: any }];
  return s;
}

/** Every [data-field] on the page: its path, value and text. */
function shownValues(page: Page) {
  return page.$$eval('[data-field]', (nodes) =>
    nodes.map((n) => ({ field: n.getAttribute('data-field')!, value: n.getAttribute('data-value')!, text: n.textContent ?? '' })),
  );
}

function at(doc: any, field: string): unknown {
  const value = field.split('.').reduce((v, key) => (v === undefined || v === null ? undefined : v[key]), doc);
  // a source without failures is absent from by_source, and shown as 0
  return value === undefined && field.startsWith('failures.by_source.') ? 0 : value;
}

const count = (n: number) => new Intl.NumberFormat('en-US').format(n);
const percent = (r: number | null) => (r === null ? 'no data' : `${(r * 100).toFixed(1)} %`);
const money = (s: string | null, digits = 2) =>
  s === null
    ? 'no data'
    : `$${new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(s))}`;

beforeAll(async () => {
  browser = await launchBrowser();
  const a = await createTestDatabase();
  await seedBadDay(a.sql);
  seeded = await serve(a);
  const b = await createTestDatabase();
  await b.sql`select * from monitoring.refresh_rollups()`;
  empty = await serve(b);
});
afterAll(async () => {
  await browser?.close();
  for (const x of [seeded, empty]) {
    await x?.server.close();
    await x?.db.drop();
  }
});

describe('the dashboard page', () => {
  it('shows exactly the document of its period, with no console error and no failed request', async () => {
    const { page, problems } = await open(`${seeded.server.url}/`);
    const doc = await documentFor(seeded.db, new Date(today().getTime() - 29 * DAY), new Date(today().getTime() + DAY));
    expect(await page.evaluate(() => (window as any).dashboard.document.period)).toEqual(doc.period);
    const shown = await shownValues(page);
    expect(shown.length).toBeGreaterThan(200);
    const wrong = shown.filter((s) => s.value !== (at(doc, s.field) === null ? 'null' : String(at(doc, s.field))));
    expect(wrong).toEqual([]);

    // the headline figures, as text
    const text = Object.fromEntries(
      shown
        .filter((s) => !s.field.includes('.') || /^(totals|refunds)\./.test(s.field) || s.field === 'success_rate')
        .map((s) => [s.field, s.text]),
    );
    expect(text).toMatchObject({
      'totals.generations': count(doc.totals.generations),
      success_rate: percent(doc.success_rate),
      'totals.failed': count(doc.totals.failed),
      'refunds.tasks': count(doc.refunds.tasks),
      'refunds.credits': count(doc.refunds.credits),
      'refunds.rate': percent(doc.refunds.rate),
      'totals.provider_cost_usd': money(doc.totals.provider_cost_usd),
      'totals.cost_per_generation': money(doc.totals.cost_per_generation, 4),
      'totals.cost_per_success': money(doc.totals.cost_per_success, 4),
      'totals.in_flight': count(doc.totals.in_flight),
    });
    expect(doc.totals.generations).toBe(1010);
    // held vs used where they differ: the settlements, apart from the failures' refunds
    expect(text).toMatchObject({
      'totals.credits_charged': count(doc.totals.credits_charged),
      'totals.credits_used': count(doc.totals.credits_used),
      'totals.credits_settled': '3',
    });
    expect(doc.totals.credits_used).toBe(doc.totals.credits_charged - doc.totals.credits_refunded - 3);
    expect(doc.refunds.credits).toBe(doc.totals.credits_refunded); // the refunds are the failures' only
    // every provider and model, and the three rankings of users, are on the page
    const fields = new Set(shown.map((s) => s.field));
    for (const [i, p] of doc.providers.entries()) {
      expect(fields.has(`providers.${i}.latency_p95_ms`)).toBe(true);
      expect(p.models.every((_: unknown, j: number) => fields.has(`providers.${i}.models.${j}.cost_per_success`))).toBe(true);
      expect(p.models.every((_: unknown, j: number) => fields.has(`providers.${i}.models.${j}.credits_used`))).toBe(true);
    }
    for (const key of ['top_users', 'top_users_by_cost', 'top_users_by_generations']) expect(fields.has(`${key}.9.user_id`)).toBe(true);
    const body = await page.locator('body').innerText();
    expect(body).not.toMatch(/\bNaN\b|undefined/);
    expect(body).not.toMatch(/credit pool|refill/i); // the old dashboard's fake pools are gone
    expect(problems).toEqual([]);
    await page.close();
  });

  it('counts a team as one account among the top accounts, with its members and its debt', async () => {
    const { page, problems } = await open(`${seeded.server.url}/`);
    const doc = await page.evaluate(() => (window as any).dashboard.document);
    const team = doc.top_users.findIndex((u: any) => u.user_id === '00000000-0000-0000-0000-0000000000ee');
    expect(team).toBe(0); // 180 credits charged: more than any user's own
    expect(doc.top_users[team].members).toBe(3);
    const members = page.locator(`[data-field="top_users.${team}.members"]`);
    expect(await members.getAttribute('data-value')).toBe('3');
    expect(await members.innerText()).toBe('team of 3');
    // what it owes, and nobody else's debt
    expect(doc.top_users[team].debt_credits).toBe(200);
    const debt = page.locator(`[data-field="top_users.${team}.debt_credits"]`);
    expect(await debt.innerText()).toBe('owes 200');
    expect(doc.top_users.filter((u: any) => u.debt_credits !== 0)).toHaveLength(1);
    expect(await page.locator('[data-field^="top_users."][data-field$=".debt_credits"]').count()).toBe(1);
    expect(await page.locator('[data-field$=".members"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#users-title').innerText()).toBe('Top accounts in the period');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('raises the alerts of a day at 90 % success and 8 % refunds', async () => {
    const { page } = await open(`${seeded.server.url}/`);
    const state = async (field: string) => page.locator(`[data-field="${field}"]`).first().getAttribute('data-value');
    expect(await state('health.success_rate')).toBe('0.9');
    expect(Number(await state('health.refund_rate'))).toBeCloseTo(8 / 98, 4);
    expect(await state('health.success_status')).toBe('alert');
    expect(await state('health.refund_status')).toBe('alert');
    expect(await state('health.failures_status')).toBe('ok');
    expect(await state('health.stuck_status')).toBe('ok');
    expect(await page.locator('#health').getAttribute('data-status')).toBe('alert');
    expect(await page.locator('[data-field="health.success_status"]').innerText()).toMatch(/alert/i);
    await page.close();
  });

  it('switches periods: today, 7 days and a custom range, each the document of its days', async () => {
    const { page, problems } = await open(`${seeded.server.url}/`);
    const check = async (from: Date, to: Date, days: number) => {
      await page.waitForFunction(
        (f) => (window as any).dashboard.document?.period.from.startsWith(f) && document.body.dataset.state === 'ready',
        isoDay(from),
      );
      const doc = await documentFor(seeded.db, from, to);
      const shown = await shownValues(page);
      expect(shown.filter((s) => s.value !== (at(doc, s.field) === null ? 'null' : String(at(doc, s.field))))).toEqual([]);
      expect(await page.evaluate(() => (window as any).dashboard.charts.generations.plot.data[0].length)).toBe(days);
      return doc;
    };
    await page.click('button[data-days="1"]');
    const day = await check(today(), new Date(today().getTime() + DAY), 1);
    expect(day.totals.generations).toBe(50);
    // one day's point in the middle of a day-wide axis (not uPlot's default span of years)
    const x = await page.evaluate(() => {
      const p = (window as any).dashboard.charts.generations.plot;
      return [p.scales.x.min, p.scales.x.max, p.data[0][0]];
    });
    expect([x[1] - x[0], x[2] - x[0]]).toEqual([86_400, 43_200]);
    await page.click('button[data-days="7"]');
    await check(new Date(today().getTime() - 6 * DAY), new Date(today().getTime() + DAY), 7);
    await page.fill('input[name="from"]', isoDay(new Date(today().getTime() - 20 * DAY)));
    await page.fill('input[name="to"]', isoDay(new Date(today().getTime() - 10 * DAY)));
    await page.click('button[type="submit"]');
    const custom = await check(new Date(today().getTime() - 20 * DAY), new Date(today().getTime() - 9 * DAY), 11);
    expect(custom.totals.generations).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says what the top users tables count: credits charged and refunded, not "spent"', async () => {
    const { page } = await open(`${seeded.server.url}/?days=1`);
    const doc = await page.evaluate(() => (window as any).dashboard.document);
    // today's failures refunded some of the leaders' credits: charged and spent differ
    expect(doc.top_users.some((u: any) => u.credits_refunded > 0)).toBe(true);
    expect(await page.locator('#top-users').locator('xpath=../preceding-sibling::h3').innerText()).toBe('By credits charged');
    // each ranking's own figure right after the user
    for (const [id, key, headers] of [
      ['top-users', 'top_users', ['Account', 'Charged', 'Refunded', 'Generations', 'Spend']],
      ['top-users-by-cost', 'top_users_by_cost', ['Account', 'Spend', 'Generations', 'Charged', 'Refunded']],
      ['top-users-by-generations', 'top_users_by_generations', ['Account', 'Generations', 'Charged', 'Refunded', 'Spend']],
    ] as const) {
      expect(await page.$$eval(`#${id} thead th`, (cells) => cells.map((c) => c.textContent))).toEqual(headers);
      const refunded = await page.$$eval(`#${id} td[data-field$=".credits_refunded"]`, (cells) => cells.map((c) => c.textContent));
      expect(refunded, id).toEqual(doc[key!].map((u: any) => count(u.credits_refunded)));
    }
    // at a laptop width every column of the three rankings is in view, none scrolls
    const scrolls = await page.$$eval('#top-users, #top-users-by-cost, #top-users-by-generations', (tables) =>
      tables.map((t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth),
    );
    expect(scrolls).toEqual([0, 0, 0]);
    await page.close();
  });

  it('labels the x axis with whole days: one tick for today, never hours', async () => {
    const ticks = async (page: Page) =>
      page.evaluate(() =>
        Object.values((window as any).dashboard.charts).map((c: any) => ({
          splits: c.plot.axes[0]._splits,
          values: c.plot.axes[0]._values,
          xs: c.plot.data[0],
        })),
      );
    const { page } = await open(`${seeded.server.url}/?days=1`, 1280);
    for (const chart of await ticks(page)) {
      expect(chart.splits).toEqual(chart.xs); // the day's own midnight, under its point
      expect(chart.values).toHaveLength(1);
      expect(chart.values[0]).toContain(`${today().getUTCMonth() + 1}/${today().getUTCDate()}`);
    }
    for (const days of ['7', '30']) {
      await page.click(`button[data-days="${days}"]`);
      await page.waitForFunction((n) => (window as any).dashboard.document?.daily.length === n, Number(days));
      for (const chart of await ticks(page)) {
        expect(chart.splits.length).toBeGreaterThan(1);
        expect(chart.splits.every((s: number) => s % 86_400 === 0)).toBe(true);
        expect(chart.values.join(' ')).not.toMatch(/am|pm/);
      }
    }
    await page.close();
  });

  it('clears the figures and the preset when a custom range is refused', async () => {
    const { page } = await open(`${seeded.server.url}/`);
    await page.click('button[data-days="7"]');
    await page.waitForFunction(() => (window as any).dashboard.document?.daily.length === 7);
    await page.fill('input[name="from"]', isoDay(new Date(today().getTime() - 2 * DAY)));
    await page.fill('input[name="to"]', isoDay(new Date(today().getTime() - 5 * DAY)));
    await page.click('button[type="submit"]');
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.locator('#status').innerText()).toMatch(/is before from/);
    // no figure of the previous period stays on the page as if it were this one's
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.locator('#footer').innerText()).toBe('');
    expect(await page.evaluate(() => (window as any).dashboard.document)).toBeNull();
    expect(await page.$$eval('[data-days]', (b) => b.map((x) => x.getAttribute('aria-pressed')))).toEqual(['false', 'false', 'false']);
    // the range typed stays in the form to be corrected, and a preset brings the figures back
    expect(await page.inputValue('input[name="to"]')).toBe(isoDay(new Date(today().getTime() - 5 * DAY)));
    await page.click('button[data-days="1"]');
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.locator('#dashboard').isVisible()).toBe(true);
    expect(await page.locator('#status').innerText()).toBe('');
    await page.close();
  });

  it('keeps the period in the address: shared, reloaded, back and forward', async () => {
    const { page, problems } = await open(`${seeded.server.url}/?lang=en`);
    const shown = () =>
      page.evaluate(() => ({
        from: (window as any).dashboard.document?.period.from.slice(0, 10),
        days: (window as any).dashboard.document?.daily.length,
        pressed: [...document.querySelectorAll('[data-days][aria-pressed="true"]')].map((b) => (b as HTMLElement).dataset.days),
        search: location.search,
      }));
    const settled = (search: string) =>
      page.waitForFunction(
        (q) => location.search === q && document.body.dataset.state === 'ready' && (window as any).dashboard.document,
        search,
      );
    const first = isoDay(new Date(today().getTime() - 20 * DAY));
    const last = isoDay(new Date(today().getTime() - 10 * DAY));
    expect(await shown()).toEqual({ from: isoDay(new Date(today().getTime() - 29 * DAY)), days: 30, pressed: ['30'], search: '?lang=en' });
    await page.click('button[data-days="1"]');
    await settled('?lang=en&days=1');
    expect(await shown()).toEqual({ from: isoDay(today()), days: 1, pressed: ['1'], search: '?lang=en&days=1' });
    await page.fill('input[name="from"]', first);
    await page.fill('input[name="to"]', last);
    await page.click('button[type="submit"]');
    await settled(`?lang=en&from=${first}&to=${last}`);
    expect(await shown()).toMatchObject({ from: first, days: 11, pressed: [] });
    // reloaded (or the link opened elsewhere): the same period
    await page.reload();
    await settled(`?lang=en&from=${first}&to=${last}`);
    expect(await shown()).toMatchObject({ from: first, days: 11, pressed: [] });
    expect([await page.inputValue('input[name="from"]'), await page.inputValue('input[name="to"]')]).toEqual([first, last]);
    // back to today, back to the 30 days the page opened on, forward to today again
    await page.goBack();
    await settled('?lang=en&days=1');
    expect(await shown()).toMatchObject({ from: isoDay(today()), days: 1, pressed: ['1'] });
    await page.goBack();
    await settled('?lang=en');
    expect(await shown()).toMatchObject({ days: 30, pressed: ['30'] });
    await page.goForward();
    await settled('?lang=en&days=1');
    expect(await shown()).toMatchObject({ days: 1, pressed: ['1'] });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("plots one point per day per series, the values of the chart's own table", async () => {
    const { page } = await open(`${seeded.server.url}/`);
    const doc = await documentFor(seeded.db, new Date(today().getTime() - 29 * DAY), new Date(today().getTime() + DAY));
    const charts: Record<string, any> = await page.evaluate(() =>
      Object.fromEntries(
        Object.entries((window as any).dashboard.charts).map(([name, c]: [string, any]) => [
          name,
          { data: c.plot.data, labels: c.plot.series.map((s: any) => s.label), width: c.plot.width },
        ]),
      ),
    );
    const keys: Record<string, string[]> = {
      generations: ['generations', 'failed'],
      success_rate: ['success_rate'],
      spend: ['provider_cost_usd', 'failed_cost_usd'],
      refund_rate: ['refund_rate'],
    };
    expect(Object.keys(charts).sort()).toEqual(Object.keys(keys).sort());
    for (const [name, chart] of Object.entries(charts) as [string, any][]) {
      expect(chart.width).toBeGreaterThan(200);
      expect(chart.data[0]).toEqual(doc.daily.map((d: any) => Date.parse(`${d.day}T00:00:00Z`) / 1000));
      for (const [i, key] of keys[name]!.entries()) {
        const plotted = chart.data[i + 1];
        expect(plotted, `${name} ${key}`).toHaveLength(30);
        expect(plotted).toEqual(doc.daily.map((d: any) => (d[key] === null ? null : Number(d[key]))));
        const table = await page.$$eval(`figure[data-chart="${name}"] table td[data-field$=".${key}"]`, (cells) =>
          cells.map((c) => c.getAttribute('data-value')),
        );
        expect(table.map((v) => (v === 'null' ? null : Number(v)))).toEqual(plotted);
      }
    }
    // the thresholds are drawn at 95 % and 5 %
    expect(charts.success_rate!.data.at(-1).every((v: number) => v === doc.health.success_rate_min)).toBe(true);
    expect(charts.refund_rate!.data.at(-1).every((v: number) => v === doc.health.refund_rate_max)).toBe(true);
    await page.close();
  });

  it('says "no data" on an empty database, never zeros or NaN', async () => {
    const { page, problems } = await open(`${empty.server.url}/`);
    expect(await page.locator('#empty').isVisible()).toBe(true);
    const figures = await page.$$eval('#headline dd', (nodes) => nodes.map((n) => n.textContent));
    expect(figures.length).toBe(10);
    expect(figures.every((f) => f === 'no data')).toBe(true);
    expect(await page.locator('[data-field="health.success_status"]').textContent()).toBe('no data');
    const body = await page.locator('body').innerText();
    expect(body).not.toMatch(/\bNaN\b|undefined|Infinity/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('warns when the rollups are not being refreshed, and says nothing when they are', async () => {
    const fresh = await open(`${empty.server.url}/`);
    expect(await fresh.page.locator('#stale').isHidden()).toBe(true);
    await fresh.page.close();
    await empty.db.sql`update monitoring.rollup_state set refreshed_at = now() - interval '2 hours'`;
    try {
      const { page } = await open(`${empty.server.url}/`);
      expect(await page.locator('#stale').isVisible()).toBe(true);
      expect(await page.locator('#stale').textContent()).toMatch(/120 minutes old.*refresh_rollups\(\) every minute/);
      await page.close();
    } finally {
      await empty.db.sql`select * from monitoring.refresh_rollups()`;
    }
  });

  it('says what to do when the database is not migrated', async () => {
    const bare = await createTestDatabase({ empty: true, max: 1 });
    const served = await serveFetch(dashboardRoute(bare.sql));
    try {
      const page = await browser.newPage();
      await page.goto(`${served.url}/`);
      await page.waitForSelector('body[data-state="error"]');
      expect(await page.locator('#status').textContent()).toContain('run credits migrate up');
      await page.close();
    } finally {
      await served.close();
      await bare.drop();
    }
  });

  it('holds at a laptop and a phone width (no horizontal scroll), and leaves screenshots', async () => {
    const out = path.join(packageRoot, 'test-results');
    await mkdir(out, { recursive: true });
    for (const [name, width] of [
      ['desktop', 1366],
      ['phone', 390],
    ] as const) {
      const { page } = await open(`${seeded.server.url}/`, width);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(0);
      // the health table is read at a glance: every column in view, none behind a scroll
      const health = await page.$eval('#health .scroll', (box) => {
        const right = box.getBoundingClientRect().right;
        const cut = [...box.querySelectorAll('tbody th, tbody td')].filter((c) => c.getBoundingClientRect().right > right + 0.5);
        return { scrolls: box.scrollWidth - box.clientWidth, cut: cut.map((c) => c.textContent) };
      });
      expect(health, `${name}: the health table is cut`).toEqual({ scrolls: 0, cut: [] });
      // no word broken in the middle in it (a state badge, a label), and each ranking's own
      // figure in view without scrolling: the column right after the row's name
      // the longest state a row can show, in every row (the fixture's rows are ok or alert)
      await page.$$eval('#health td.state', (cells) => {
        for (const c of cells) c.textContent = 'incomplete';
      });
      const broken = await page.$$eval('#health tbody td, #health tbody th', (cells) =>
        cells.flatMap((cell) => {
          const words: string[] = [];
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.textContent!.matchAll(/\S+/g)) {
              const range = document.createRange();
              range.setStart(node, match.index!);
              range.setEnd(node, match.index! + match[0].length);
              // a word on two lines has two boxes (a slash or hyphen may break it: those are allowed)
              if (range.getClientRects().length > 1 && !/[/-]/.test(match[0])) words.push(match[0]);
            }
          }
          return words;
        }),
      );
      expect(broken, `${name}: a word of the health table is broken`).toEqual([]);
      const ranked = {
        'top-users': 'Charged',
        'top-users-by-cost': 'Spend',
        'top-users-by-generations': 'Generations',
        'top-errors': 'Failures',
      };
      const hidden = await page.$$eval(
        Object.keys(ranked)
          .map((id) => `#${id}`)
          .join(', '),
        (tables, ranked) =>
          tables.flatMap((t) => {
            const right = t.parentElement!.getBoundingClientRect().right;
            const column = [...t.querySelectorAll('thead th')].find((th) => th.textContent === ranked[t.id as keyof typeof ranked]);
            return !column || column.getBoundingClientRect().right > right + 0.5 ? [t.id] : [];
          }),
        ranked,
      );
      expect(hidden, `${name}: a ranking's own figure is behind a scroll`).toEqual([]);
      expect(await page.locator('#health-rows').innerText()).toContain('max 500 a day');
      await page.screenshot({ path: path.join(out, `dashboard-${name}.png`), fullPage: true });
      if (name === 'desktop' && process.env.DOCS_SCREENSHOT) {
        await mkdir(path.join(packageRoot, 'docs', 'images'), { recursive: true });
        await page.screenshot({ path: path.join(packageRoot, 'docs', 'images', 'dashboard.png'), fullPage: true });
      }
      await page.close();
    }
  });
});
