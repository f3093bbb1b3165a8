import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreditStatsExpress, adminCreditStatsRoute } from '../src/dashboard/stats.js';
import { adminCreditStats } from '../src/generated/client.js';
import { packageRoot } from '../src/paths.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { newAccount, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  const user = await newAccount(db.sql, 'pro');
  for (let i = 0; i < 10; i++) {
    const { task_id } = await startGeneration(db.sql, user, 2);
    if (i < 8) await db.sql`select complete_generation(${task_id}, 0.0391)`;
    else await db.sql`select fail_generation(${task_id}, 'content filter', 'callback')`;
  }
  await db.sql`select * from monitoring.refresh_rollups()`;
});
afterAll(() => db.drop());

describe('admin credit stats from TypeScript', () => {
  it('adminCreditStats returns the typed document, money as exact strings', async () => {
    const stats = await adminCreditStats(db.sql);
    expect(stats.totals).toEqual({
      generations: 10,
      succeeded: 8,
      failed: 2,
      in_flight: 0,
      credits_charged: 20,
      credits_refunded: 4,
      credits_settled: 0,
      credits_used: 16,
      provider_cost_usd: '0.312800',
      failed_cost_usd: '0.000000',
      cost_per_generation: '0.031280',
      cost_per_success: '0.039100',
    });
    expect(stats.success_rate).toBe(0.8);
    expect(stats.refunds).toEqual({ tasks: 2, credits: 4, rate: 0.2 });
    expect(stats.health.success_status).toBe('alert');
    expect(stats.health).toMatchObject({ cost_usd: '0.312800', unpriced: 0, cost_coverage: 1, cost_status: 'ok' });
    expect(stats.pricing).toEqual({ complete: true, unpriced: 0, coverage: 1, unpriced_models: [] });
    expect(stats.providers[0]).toMatchObject({ unpriced: 0, cost_coverage: 1, cost_per_success: '0.039100' });
    expect(stats.top_users[0]).toMatchObject({ generations: 10, credits_charged: 20 });
  });

  it('the Fetch route handler answers GET with JSON, and 400 for a bad range', async () => {
    const route = adminCreditStatsRoute(db.sql);
    const ok = await route(new Request('http://app/admin/credit-stats'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect((await ok.json()).totals.generations).toBe(10);
    const empty = await route(new Request('http://app/admin/credit-stats?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z'));
    expect((await empty.json()).totals.generations).toBe(0);
    const reversed = await route(new Request('http://app/admin/credit-stats?from=2026-02-01&to=2026-01-01'));
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toMatchObject({ code: 'CR003' });
    const garbage = await route(new Request('http://app/admin/credit-stats?from=yesterday-ish'));
    expect(garbage.status).toBe(400);
  });

  it('the Express adapter sends the same answer', async () => {
    const sent: { status?: number; body?: string; headers: Record<string, string> } = { headers: {} };
    const res = {
      status(code: number) {
        sent.status = code;
        return res;
      },
      set(name: string, value: string) {
        sent.headers[name] = value;
        return res;
      },
      send(body: Uint8Array) {
        sent.body = Buffer.from(body).toString('utf8');
      },
      end() {},
    };
    let failure: unknown;
    await adminCreditStatsExpress(db.sql)({ originalUrl: '/admin/credit-stats' }, res, (e) => {
      failure = e;
    });
    expect(failure).toBeUndefined();
    expect(sent.status).toBe(200);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body!).totals.succeeded).toBe(8);
  });

  it('credits dashboard prints health and the period tables, exit 1 on an alert', async () => {
    const env = { DATABASE_URL: db.url };
    const text = await runCli(['dashboard'], env);
    expect(text.code).toBe(1); // today's success rate 80 % is below 95 %
    expect(text.stdout).toMatch(/Platform health \d{4}-\d{2}-\d{2} \(UTC\): ALERT/);
    expect(text.stdout).toMatch(/success rate\s+80\.0%\s+min 95\.0%\s+ALERT/);
    expect(text.stdout).toContain('80.0% !');
    expect(text.stdout).toMatch(/cost\s+\$0\.31\s+priced 100\.0%\s+ok/);
    const json = await runCli(['dashboard', '--json'], env);
    expect(JSON.parse(json.stdout).daily[0]).toMatchObject({ generations: 10, failed: 2, success_below_threshold: true });
  });
});

// The AdminCreditStats interface (src/client/documents.ts), read with the TypeScript compiler,
// against real documents: every key the type names is there (unless optional), no key is there
// that it does not name, and every value is of the type it says (string literals included).
describe('the AdminCreditStats type', () => {
  function documentType() {
    const file = path.join(packageRoot, 'src/client/documents.ts');
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const checker = program.getTypeChecker();
    const declaration = program
      .getSourceFile(file)!
      .statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'AdminCreditStats')!;
    return { checker, type: checker.getTypeAtLocation(declaration.name) };
  }

  /** Where `value` is not of `type`, one line each; `empty` collects the arrays met empty (their elements went unchecked). */
  function mismatches(checker: ts.TypeChecker, type: ts.Type, value: unknown, at: string, empty: string[]): string[] {
    if (type.isUnion()) {
      const tries = type.types.map((t) => mismatches(checker, t, value, at, []));
      if (tries.some((t) => t.length === 0))
        return mismatches(checker, type.types[tries.findIndex((t) => t.length === 0)]!, value, at, empty);
      return [`${at}: ${JSON.stringify(value)} is not ${checker.typeToString(type)}`];
    }
    const is = (ok: boolean) => (ok ? [] : [`${at}: ${JSON.stringify(value)} is not ${checker.typeToString(type)}`]);
    if (type.flags & ts.TypeFlags.Null) return is(value === null);
    if (type.flags & ts.TypeFlags.Undefined) return is(value === undefined);
    if (type.isStringLiteral() || type.isNumberLiteral()) return is(value === type.value);
    if (type.flags & ts.TypeFlags.BooleanLiteral) return is(value === (checker.typeToString(type) === 'true'));
    if (type.flags & ts.TypeFlags.String) return is(typeof value === 'string');
    if (type.flags & ts.TypeFlags.Number) return is(typeof value === 'number');
    if (checker.isArrayType(type)) {
      if (!Array.isArray(value)) return is(false);
      if (value.length === 0) empty.push(at);
      const element = checker.getTypeArguments(type as ts.TypeReference)[0]!;
      return value.flatMap((v, i) => mismatches(checker, element, v, `${at}[${i}]`, empty));
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return is(false);
    const object = value as Record<string, unknown>;
    const properties = checker.getPropertiesOfType(type);
    const problems = Object.keys(object)
      .filter((k) => !properties.some((p) => p.name === k))
      .map((k) => `${at}.${k}: not in the type`);
    for (const property of properties) {
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      if (!(property.name in object)) {
        if (!optional) problems.push(`${at}.${property.name}: missing`);
        continue;
      }
      problems.push(...mismatches(checker, checker.getTypeOfSymbol(property), object[property.name], `${at}.${property.name}`, empty));
    }
    return problems;
  }

  it('matches real documents key by key: a busy range (every array filled) and an empty one', async () => {
    // An unpriced completion, so pricing.unpriced_models has an element to check.
    const user = await newAccount(db.sql, 'pro');
    const { task_id } = await startGeneration(db.sql, user, 1);
    await db.sql`update enhancement_tasks set model = 'unpriced-model' where id = ${task_id}`;
    await db.sql`select complete_generation(${task_id})`;
    // A model that fails every time, among enough generations, so optimization_hints has one.
    await db.sql`update monitoring.thresholds set value = 2 where name = 'hint_min_generations'`;
    for (let i = 0; i < 2; i++) {
      const failing = await startGeneration(db.sql, user, 1);
      await db.sql`update enhancement_tasks set model = 'failing-model' where id = ${failing.task_id}`;
      await db.sql`select fail_generation(${failing.task_id}, 'boom')`;
    }
    await db.sql`select * from monitoring.refresh_rollups()`;

    const { checker, type } = documentType();
    const busy = await adminCreditStats(db.sql);
    const empty: string[] = [];
    expect(mismatches(checker, type, busy, 'stats', empty)).toEqual([]);
    expect(empty).toEqual([]);
    const quiet = await adminCreditStats(db.sql, { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2020-02-01T00:00:00Z') });
    expect(mismatches(checker, type, quiet, 'stats', [])).toEqual([]);
    expect(quiet.period).toEqual({ from: '2020-01-01T00:00:00+00:00', to: '2020-02-01T00:00:00+00:00', as_of_refresh: false }); // UTC, whatever the session's TimeZone
  });

  it('finds a drifted document: the walker is not blind', () => {
    const { checker, type } = documentType();
    const problems = mismatches(checker, type, { period: { from: 1 }, extra: true }, 'stats', []);
    expect(problems).toContain('stats.extra: not in the type');
    expect(problems).toContain('stats.period.from: 1 is not string');
    expect(problems).toContain('stats.totals: missing');
  });
});
