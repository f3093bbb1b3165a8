// Arguments a hostile caller or a typo sends: text that is blank in Unicode's sense, infinite or
// out-of-range periods, timestamps and intervals. Each is CR003, and changes nothing.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlank } from '../src/cli/validate.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { newAccount, startGeneration } from './helpers/ledger.js';

let db: TestDatabase;
let infiniteIntervals: boolean; // PostgreSQL 17+ accepts 'infinity'::interval
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
  const [row] = await db.sql`select current_setting('server_version_num')::int >= 170000 as ok`;
  infiniteIntervals = row!.ok;
});
afterAll(() => db.drop());

/** The SQLSTATE a statement fails with, or 'ok'. */
async function codeOf(statement: Promise<unknown>): Promise<string> {
  try {
    await statement;
    return 'ok';
  } catch (error) {
    return String((error as { code?: string }).code ?? error);
  }
}

/** Everything a refused call could have written: the ledger, accounts, tasks, lots, events. */
async function footprint() {
  const [row] = await db.sql`
    select (select count(*) from credit_transactions)::int ledger,
           (select count(*) from enhancement_tasks)::int tasks,
           (select coalesce(sum(credits), 0) from user_credits)::int credits,
           (select count(*) from credits_private.promotional_lots)::int lots,
           (select count(*) from credits_private.tier_changes)::int tier_changes`;
  return row;
}

// Unicode's White_Space characters and the invisible ones the rule adds (U+200B-U+200D, U+2060,
// U+FEFF): each alone, and a mix.
const blanks = [
  ...[0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680],
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
  ...[0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff],
]
  .map((c) => String.fromCodePoint(c))
  .concat(['\u00a0\u3000 \u200b\ufeff\t']);

describe('blank text, by one rule', () => {
  it('is one set of 30 characters, and every inline copy of the rule trims that set', async () => {
    const files = (await readdir('functions', { recursive: true })).filter((f) => f.endsWith('.sql'));
    const sets = new Map<string, string[]>();
    for (const file of files) {
      const text = await readFile(path.join('functions', file), 'utf8');
      for (const [, set] of text.matchAll(/btrim\([^,()]+, E'([^']*)'\)/g)) sets.set(set!, [...(sets.get(set!) ?? []), file]);
    }
    expect([...sets.values()].flat()).toContain('credits_private/require_text.sql');
    expect([...sets.keys()]).toHaveLength(1); // one rule: a second set here names its files
    const decoded = [...sets.keys()][0]!.replace(/\\(u([0-9A-F]{4})|x([0-9A-F]{2})|[tnrf])/g, (_, e: string, u?: string, x?: string) =>
      u || x
        ? String.fromCodePoint(Number.parseInt((u ?? x)!, 16))
        : ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[e]!,
    );
    expect([...decoded].sort()).toEqual(blanks.slice(0, 30).sort());
    // and the CLI's check, made before connecting, is the same set (every code point of the BMP)
    const disagree = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c)).filter(
      (c) => isBlank(c) !== decoded.includes(c) && !(c >= '\ud800' && c <= '\udfff'),
    );
    expect(disagree.map((c) => `U+${c.charCodeAt(0).toString(16)}`)).toEqual([]);
  });

  it('refuses blank text in every kind of text argument, writing nothing', async () => {
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 1);
    const before = await footprint();
    const refused: Record<string, string[]> = {};
    for (const b of blanks) {
      const calls: Record<string, () => Promise<unknown>> = {
        'start_generation p_task_type': () => db.sql`select * from start_generation(${user}, ${b}, 'wavespeed', 'm', 1)`,
        'start_generation p_model': () => db.sql`select * from start_generation(${user}, 'enhance', 'wavespeed', ${b}, 1)`,
        'start_generation p_idempotency_key': () => db.sql`select * from start_generation(${user}, 'enhance', 'wavespeed', 'm', 1, ${b})`,
        'grant_credits p_reason': () => db.sql`select * from grant_credits(${user}, 5, ${b}, 'k')`,
        'grant_credits p_idempotency_key': () => db.sql`select * from grant_credits(${user}, 5, 'gift', ${b})`,
        'grant_promotional_credits p_idempotency_key': () =>
          db.sql`select * from grant_promotional_credits(${user}, 5, '7 days', 'launch', ${b})`,
        'change_tier p_idempotency_key': () => db.sql`select * from change_tier(${user}, 'pro', ${b})`,
        'mark_generation_submitted p_external_task_id': () => db.sql`select * from mark_generation_submitted(${task_id}, ${b})`,
        'record_provider_result p_external_task_id': () =>
          db.sql`select * from record_provider_result('wavespeed', ${b}, 'completed', 0.01, null, null, '{}')`,
      };
      for (const [name, call] of Object.entries(calls)) {
        const code = await codeOf(call());
        if (code !== 'CR003') refused[name] = [...(refused[name] ?? []), `U+${b.codePointAt(0)!.toString(16)}: ${code}`];
      }
    }
    expect(refused).toEqual({});
    expect(await footprint()).toEqual(before);
  });

  it("treats a Unicode-blank error message as none given (fail_generation's default)", async () => {
    const user = await newAccount(db.sql, 'basic');
    const { task_id } = await startGeneration(db.sql, user, 1);
    const [failed] = await db.sql`select outcome from fail_generation(${task_id}, ${'\u3000\u200b'}, 'callback')`;
    expect(failed!.outcome).not.toBe('failed'); // normalised: 'failed (error message defaulted)' or the like
    const [task] = await db.sql`select error_message from enhancement_tasks where id = ${task_id}`;
    expect(task!.error_message).toBe('no error message given');
  });

  it('keeps text with a visible character among blanks', async () => {
    const user = await newAccount(db.sql, 'basic');
    const [row] = await db.sql`select replayed from grant_credits(${user}, 5, ${'\u00a0gift\u3000'}, ${'\u200bk'})`;
    expect(row!.replayed).toBe(false);
  });
});

describe('periods: the first day of a month, finite, else CR003', () => {
  const badPeriods = ['-infinity', 'infinity', '2026-11-15', '1969-12-01', '5874897-12-01'];

  it('refuses them in every period argument, writing nothing', async () => {
    const user = await newAccount(db.sql, 'basic');
    const before = await footprint();
    const accepted: string[] = [];
    for (const p of badPeriods) {
      const calls: Record<string, () => Promise<unknown>> = {
        allocate_monthly_credits: () => db.sql`select * from allocate_monthly_credits(${p}::text::date)`,
        allocate_monthly_credits_in_batches: () => db.sql.unsafe(`call allocate_monthly_credits_in_batches('${p}'::date)`),
        credit_statement: () => db.sql`select * from credit_statement(${user}, ${p}::text::date)`,
        my_credit_statement: () =>
          db.sql.begin(async (tx) => {
            await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: user, role: 'authenticated' })}, true)`;
            await tx`set local role authenticated`;
            return tx`select * from my_credit_statement(${p}::text::date)`;
          }),
      };
      for (const [name, call] of Object.entries(calls)) {
        const code = await codeOf(call());
        if (code !== 'CR003') accepted.push(`${name}(${p}): ${code}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(await footprint()).toEqual(before);
  });
});

describe('intervals and timestamps: infinite or out of range is CR003', () => {
  const huge = ['300000 years', '-300000 years', '100000 years -35999990 days', '178000000 years'];
  const intervals = () => (infiniteIntervals ? [...huge, 'infinity', '-infinity'] : huge);

  it('refuses them in every interval argument, writing nothing', async () => {
    const user = await newAccount(db.sql, 'basic');
    const before = await footprint();
    const accepted: string[] = [];
    for (const i of intervals()) {
      const calls: Record<string, () => Promise<unknown>> = {
        'grant_promotional_credits p_valid_for': () =>
          db.sql`select * from grant_promotional_credits(${user}, 5, ${i}::text::interval, 'launch', 'k')`,
        'expire_stale_generations p_older_than': () => db.sql`select * from expire_stale_generations(${i}::text::interval)`,
        'expire_stale_generations_in_batches p_older_than': () =>
          db.sql.unsafe(`call expire_stale_generations_in_batches('${i}'::interval)`),
        'expire_stale_generations_in_batches p_time_budget': () =>
          db.sql.unsafe(`call expire_stale_generations_in_batches(p_time_budget => '${i}'::interval)`),
        'claim_generations_to_reconcile p_older_than': () =>
          db.sql`select * from claim_generations_to_reconcile('wavespeed', ${i}::text::interval)`,
        'claim_generations_to_reconcile p_lease': () =>
          db.sql`select * from claim_generations_to_reconcile('wavespeed', '2 minutes', 10, ${i}::text::interval)`,
        'claim_credit_events p_lease': () => db.sql`select * from claim_credit_events(10, ${i}::text::interval)`,
        'allocate_monthly_credits_in_batches p_max_duration': () =>
          db.sql.unsafe(`call allocate_monthly_credits_in_batches(null, '${i}'::interval)`),
      };
      for (const [name, call] of Object.entries(calls)) {
        const code = await codeOf(call());
        if (code !== 'CR003') accepted.push(`${name} '${i}': ${code}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(await footprint()).toEqual(before);
  });

  it('refuses infinite and out-of-range timestamps in admin_credit_stats', async () => {
    const accepted: string[] = [];
    for (const [from, to] of [
      ['-infinity', 'now'],
      ['2026-01-01', 'infinity'],
      ['infinity', 'infinity'],
      ['-infinity', '-infinity'],
      ['2026-01-01', '-infinity'],
      ['294276-01-01', '294276-12-01'],
    ] as const) {
      const code = await codeOf(db.sql`select admin_credit_stats(${from}::text::timestamptz, ${to}::text::timestamptz)`);
      if (code !== 'CR003') accepted.push(`${from}..${to}: ${code}`);
    }
    expect(accepted).toEqual([]);
  });

  it('still accepts what the documented ranges allow', async () => {
    const user = await newAccount(db.sql, 'basic');
    await db.sql`select * from grant_promotional_credits(${user}, 5, '1 year', 'launch', 'ok-year')`;
    await db.sql`select * from expire_stale_generations('5 years')`;
    await db.sql`select * from claim_generations_to_reconcile('wavespeed', '30 days', 10, '1 hour')`;
    await db.sql.unsafe(`call allocate_monthly_credits_in_batches(null, '1 microsecond')`);
    await db.sql`select * from credit_statement(${user}, '1970-01-01')`;
  });
});
