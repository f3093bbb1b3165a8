// public.admin_credit_stats: the monitoring document of a period, on an empty platform and on the June
// fixture (tests/helpers/monitoring-fixture.ts): exact on partial days, without rollups, with unpriced completions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnpricedAugust, D, emptyPlatformDatabase, loadJuneFixture, type MonitoringDatabase } from '../helpers/monitoring-fixture.js';

// One database: the empty platform's tests run first, then the June fixture is loaded into it.
let db: MonitoringDatabase;
beforeAll(async () => {
  db = await emptyPlatformDatabase();
});
afterAll(() => db.drop());

describe('admin_credit_stats, on an empty platform', () => {
  it('reports no data, not a division by zero', async () => {
    await db.sql`select * from monitoring.refresh_rollups()`;
    const stats = await db.one<{ s: { totals: Record<string, unknown>; success_rate: unknown; providers: unknown[] } }>(
      `select admin_credit_stats() s`,
    );
    expect(stats.s.totals).toMatchObject({ generations: 0, provider_cost_usd: '0.000000' });
    expect(stats.s.success_rate).toBeNull();
    expect(stats.s.providers).toEqual([]);
    expect((stats.s as Record<string, unknown>).pricing).toEqual({ complete: true, unpriced: 0, coverage: null, unpriced_models: [] });
  });
});

describe('admin_credit_stats, on the June fixture', () => {
  // Setup, not a test: the fixture every test below reads, loaded after the empty platform's tests.
  beforeAll(() => loadJuneFixture(db.sql));

  it('the June document, exact on a range with partial days, and without rollups', async () => {
    const june = await db.one<{ s: Record<string, any> }>(`select admin_credit_stats('2026-06-01', '2026-07-01') s`);
    expect(june.s.totals).toEqual({
      generations: 62,
      succeeded: 56,
      failed: 4,
      in_flight: 2,
      credits_charged: 162,
      credits_refunded: 10,
      credits_settled: 0, // no hold of June was settled below itself
      credits_used: 152,
      provider_cost_usd: '3.570000',
      failed_cost_usd: '0.000000',
      cost_per_generation: '0.059500',
      cost_per_success: '0.063750',
    }); // 3.57 / (56 + 4: the 2 in flight have no cost yet) and / 56
    expect(june.s.success_rate).toBe(0.9333);
    expect(
      june.s.providers.map((p: any) => [p.provider, p.generations, p.succeeded, p.failed, p.success_rate, p.provider_cost_usd]),
    ).toEqual([
      ['nanobanana', 20, 19, 1, 0.95, '1.900000'],
      ['wavespeed', 42, 37, 3, 0.925, '1.670000'],
    ]);
    expect(june.s.failures.total).toBe(4);
    expect(june.s.failures.by_source).toEqual({ callback: 2, api_error: 1, timeout: 1 });
    expect(june.s.failures.top_errors[0]).toEqual({
      provider: 'wavespeed',
      failure_source: 'callback',
      error: 'content filter job #',
      failures: 2,
    });
    expect(june.s.refunds).toEqual({ tasks: 4, credits: 10, rate: 0.0617 });
    expect(june.s.top_users[0]).toEqual({
      user_id: D,
      generations: 20,
      credits_charged: 100,
      credits_refunded: 5,
      provider_cost_usd: '1.900000',
      members: null, // a user's own account: no team
      debt_credits: 0, // owes nothing (contract §13)
    });
    expect(june.s.health.status).toBe('alert');

    // The daily series: one entry per day of June, each equal to the summary's day, summing to the totals
    expect(june.s.daily).toHaveLength(30);
    expect(june.s.daily.map((d: any) => d.day)).toEqual(Array.from({ length: 30 }, (_, i) => `2026-06-${String(i + 1).padStart(2, '0')}`));
    const days =
      await db.all(`select period_start::text as day, generations, completed, failed, credits_charged::int, credits_refunded::int,
                                   credits_settled::int, credits_used::int, cost_usd::text, success_rate, refund_rate from monitoring.summary
                             where granularity = 'day' and period_start >= '2026-06-01' and period_start < '2026-07-01' order by 1`);
    for (const d of days) {
      expect(june.s.daily.find((x: any) => x.day === d.day)).toEqual({
        day: d.day,
        generations: d.generations,
        succeeded: d.completed,
        failed: d.failed,
        credits_charged: d.credits_charged,
        credits_refunded: d.credits_refunded,
        credits_settled: d.credits_settled,
        credits_used: d.credits_used,
        provider_cost_usd: d.cost_usd,
        failed_cost_usd: '0.000000',
        success_rate: d.success_rate,
        refund_rate: d.refund_rate,
      });
    }
    expect(june.s.daily.find((x: any) => x.day === '2026-06-15')).toMatchObject({
      generations: 0,
      success_rate: null,
      refund_rate: null,
      provider_cost_usd: '0.000000',
    });
    const sum = (key: string) => june.s.daily.reduce((n: number, d: any) => n + d[key], 0);
    expect([sum('generations'), sum('succeeded'), sum('failed'), sum('credits_charged')]).toEqual([62, 56, 4, 162]);

    // From June 1 at noon: the morning of June 1 is out → June 2 (20) and June 8 (2)
    const fromNoon = await db.one<{ s: Record<string, any> }>(`select admin_credit_stats('2026-06-01 12:00+00', '2026-07-01') s`);
    expect(fromNoon.s.totals).toMatchObject({
      generations: 22,
      succeeded: 19,
      failed: 1,
      credits_charged: 22,
      provider_cost_usd: '0.950000',
    });
    // The partial first day is in the series, with what started after noon only (from the raw rows)
    expect(fromNoon.s.daily[0]).toMatchObject({ day: '2026-06-01', generations: 0 });
    expect(fromNoon.s.daily[1]).toMatchObject({ day: '2026-06-02', generations: 20 });

    // The same answers from the raw rows alone, as before any refresh
    await db.sql`delete from monitoring.rollup_state`;
    const raw = await db.one<{ s: Record<string, any> }>(`select admin_credit_stats('2026-06-01', '2026-07-01') s`);
    const strip = (doc: Record<string, any>) => ({ ...doc, data_through: undefined, health: undefined });
    expect(strip(raw.s)).toEqual(strip(june.s));
    await db.sql`select * from monitoring.refresh_rollups()`;

    await expect(db.sql`select admin_credit_stats('2026-07-01', '2026-06-01')`).rejects.toMatchObject({ code: 'CR003' });
    await expect(db.sql`select admin_credit_stats(null, now())`).rejects.toMatchObject({ code: 'CR003' });
    // Infinite or absurd bounds are an invalid argument, not an overflow (22008)
    for (const [from, to] of [
      ['-infinity', 'now'],
      ['2026-06-01', 'infinity'],
      ['4713-01-01 BC', '4710-01-01 BC'],
      ['294276-01-01', '294276-12-31'],
      ['1969-12-31', '1970-01-02'],
    ]) {
      await expect(db.sql.unsafe(`select admin_credit_stats('${from}', '${to}')`)).rejects.toMatchObject({ code: 'CR003' });
    }
  });

  it('counts unpriced completions, never as $0, from the rollups and from the raw rows', async () => {
    await addUnpricedAugust(db.sql);
    // The document, from the rollups and (a range with a partial day) from the raw rows
    for (const from of ['2026-08-01', '2026-08-03 09:00+00']) {
      const aug = await db.one<{ s: Record<string, any> }>(`select admin_credit_stats('${from}', '2026-09-01') s`);
      expect(aug.s.pricing).toEqual({
        complete: false,
        unpriced: 1,
        coverage: 0.75,
        unpriced_models: [{ provider: 'wavespeed', model: 'wsx', unpriced: 1 }],
      });
      expect(aug.s.providers[0]).toMatchObject({
        provider: 'wavespeed',
        unpriced: 1,
        cost_coverage: 0.75,
        provider_cost_usd: '0.120000',
        cost_per_success: '0.040000',
      });
      expect(aug.s.providers[0].models[0]).toMatchObject({ model: 'wsx', unpriced: 1 });
    }
  });
});
