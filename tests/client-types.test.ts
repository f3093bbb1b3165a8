// Type-level tests of the generated client and of the supabase-js fragment: `npm test` runs
// `tsc --noEmit` over this file first, so a type that drifts fails the suite before Vitest runs
// (expectTypeOf is checked by the compiler). The runtime part checks what the types claim about
// CR001: its numbers come from a JSON DETAIL, as supabase-js callers read them too.
import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { AdminCreditStats } from '../src/client/documents.js';
import { InsufficientCreditsError } from '../src/errors.js';
import * as client from '../src/generated/client.js';
import type { WithCreditsLedger } from '../src/client/with-credits-ledger.js';
import type { CreditsLedgerDatabase } from '../src/generated/supabase.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

type Result<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

describe("the generated client's types", () => {
  it('are non-null where the function always fills the field', () => {
    expectTypeOf<Result<typeof client.startGeneration>>().toEqualTypeOf<{ task_id: string; balance: number; replayed: boolean }>();
    expectTypeOf<Result<typeof client.completeGeneration>>().toEqualTypeOf<{
      task_id: string;
      status: string;
      outcome: string;
      credits_final: number | null;
      refunded_credits: number;
    }>();
    expectTypeOf<Result<typeof client.markGenerationSubmitted>>().toEqualTypeOf<{ task_id: string; status: string; outcome: string }>();
    expectTypeOf<Result<typeof client.failGeneration>>().toEqualTypeOf<{
      task_id: string;
      status: string;
      refunded_credits: number;
      balance: number | null;
      outcome: string;
    }>();
    expectTypeOf<Result<typeof client.getCreditBalance>['total_credits']>().toEqualTypeOf<number>();
    expectTypeOf<Result<typeof client.getCreditBalance>['period_start']>().toEqualTypeOf<string | null>(); // a legacy account before its first allocation
    expectTypeOf<Result<typeof client.grantCredits>>().toEqualTypeOf<{ transaction_id: string; balance: number; replayed: boolean }>();
    expectTypeOf<Result<typeof client.expireStaleGenerations>[number]['balance']>().toEqualTypeOf<number | null>();
  });

  it('give each kind of value one type: credits numbers, money decimal strings, rates numbers, timestamps strings', () => {
    expectTypeOf<client.MonitoringSummaryRow['credits_charged']>().toEqualTypeOf<number>();
    expectTypeOf<client.MonitoringSummaryRow['cost_usd']>().toEqualTypeOf<client.Decimal>();
    expectTypeOf<client.MonitoringSummaryRow['success_rate']>().toEqualTypeOf<number | null>();
    expectTypeOf<client.MonitoringPlatformHealthRow['rollups_refreshed_at']>().toEqualTypeOf<client.Timestamp | null>();
    expectTypeOf<client.MonitoringProviderPerformanceRow['latency_p95_ms']>().toEqualTypeOf<number | null>();
    expectTypeOf<AdminCreditStats['totals']['credits_charged']>().toEqualTypeOf<client.MonitoringSummaryRow['credits_charged']>();
    expectTypeOf<AdminCreditStats['health']['success_rate']>().toEqualTypeOf<client.MonitoringPlatformHealthRow['success_rate']>();
    expectTypeOf<AdminCreditStats['data_through']>().toEqualTypeOf<client.MonitoringPlatformHealthRow['rollups_refreshed_at']>();
  });

  it('type the admin document with one function', () => {
    expectTypeOf<Result<typeof client.adminCreditStats>>().toEqualTypeOf<AdminCreditStats>();
    expectTypeOf(client.adminCreditStats).parameter(1).toEqualTypeOf<client.AdminCreditStatsArgs | undefined>();
    expectTypeOf<client.AdminCreditStatsArgs['from']>().toEqualTypeOf<Date | string | undefined>();
  });

  it('refuse an argument key the function does not take, and a missing required one', () => {
    // @ts-expect-error task_id is not an argument of completeGeneration (taskId is)
    const wrongKey = (sql: client.Sql) => client.completeGeneration(sql, { task_id: 'x' });
    // @ts-expect-error credits is required
    const missing = (sql: client.Sql) => client.startGeneration(sql, { userId: 'u', taskType: 't', provider: 'p', model: 'm' });
    expect([wrongKey, missing].every((f) => typeof f === 'function')).toBe(true);
  });
});

describe('the supabase-js fragment (CreditsLedgerDatabase)', () => {
  /** Your own generated Database, merged with the package's part. */
  interface AppDatabase {
    public: {
      Tables: {
        profiles: { Row: { id: string; name: string }; Insert: { id: string; name: string }; Update: { name?: string }; Relationships: [] };
      };
      Views: { [_ in never]: never };
      Functions: { [_ in never]: never };
      Enums: { [_ in never]: never };
      CompositeTypes: { [_ in never]: never };
    };
  }

  it("types supabase.rpc for the package's functions, as PostgREST answers them", () => {
    const calls = (supabase: SupabaseClient<CreditsLedgerDatabase>) => ({
      start: () =>
        supabase.rpc('start_generation', {
          p_user_id: 'u',
          p_task_type: 'enhance',
          p_provider: 'wavespeed',
          p_model: 'nano-banana',
          p_credits: 2,
        }),
      fail: () => supabase.rpc('fail_generation', { p_task_id: 't', p_error_message: 'boom', p_source: 'api_error' }),
      balance: () => supabase.rpc('my_credit_balance'),
      sweep: () => supabase.rpc('expire_stale_generations', { p_limit: 100 }),
      stats: () => supabase.rpc('admin_credit_stats', { p_from: '2026-11-01T00:00:00Z' }),
      generations: () => supabase.from('my_generations').select('*'),
      badArgument: () =>
        // @ts-expect-error p_credits is a number
        supabase.rpc('start_generation', { p_user_id: 'u', p_task_type: 'e', p_provider: 'p', p_model: 'm', p_credits: 'two' }),
      // @ts-expect-error no such function
      unknown: () => supabase.rpc('consume_platform_credits', {}),
    });
    type Calls = ReturnType<typeof calls>;
    type Data<K extends keyof Calls> = Awaited<ReturnType<Calls[K]>>['data'];
    expectTypeOf<Data<'start'>>().toEqualTypeOf<{ task_id: string; balance: number; replayed: boolean } | null>();
    expectTypeOf<NonNullable<Data<'fail'>>['balance']>().toEqualTypeOf<number | null>();
    expectTypeOf<NonNullable<Data<'balance'>>['total_credits']>().toEqualTypeOf<number>();
    expectTypeOf<NonNullable<Data<'sweep'>>[number]['task_id']>().toEqualTypeOf<string>();
    expectTypeOf<Data<'stats'>>().toEqualTypeOf<AdminCreditStats | null>();
    expectTypeOf<NonNullable<Data<'generations'>>[number]['status']>().toEqualTypeOf<string>();
    expect(typeof calls).toBe('function');
  });

  it("merges with the application's own generated Database", () => {
    const calls = (supabase: SupabaseClient<AppDatabase & CreditsLedgerDatabase>) => ({
      profiles: () => supabase.from('profiles').select('name'),
      start: () => supabase.rpc('start_generation', { p_user_id: 'u', p_task_type: 'e', p_provider: 'p', p_model: 'm', p_credits: 1 }),
    });
    type Calls = ReturnType<typeof calls>;
    expectTypeOf<NonNullable<Awaited<ReturnType<Calls['profiles']>>['data']>[number]['name']>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<Awaited<ReturnType<Calls['start']>>['data']>['balance']>().toEqualTypeOf<number>();
    expect(typeof calls).toBe('function');
  });
});

describe("WithCreditsLedger: the application's Database already holds the package's functions", () => {
  type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];
  /** What `supabase gen types typescript` writes for a database the package is migrated into. */
  interface GeneratedDatabase {
    public: {
      Tables: {
        profiles: { Row: { id: string; name: string }; Insert: { id: string; name: string }; Update: { name?: string }; Relationships: [] };
      };
      Views: {
        my_generations: { Row: { id: string | null; status: string | null }; Relationships: [] };
      };
      Functions: {
        is_admin: { Args: Record<PropertyKey, never>; Returns: boolean };
        start_generation: {
          Args: {
            p_credits: number;
            p_idempotency_key?: string;
            p_metadata?: Json;
            p_model: string;
            p_provider: string;
            p_task_type: string;
            p_user_id: string;
          };
          Returns: { balance: number; replayed: boolean; task_id: string }[];
        };
      };
      Enums: { [_ in never]: never };
      CompositeTypes: { [_ in never]: never };
    };
  }

  it("replaces the generated entries with the package's and keeps the application's own", () => {
    const calls = (supabase: SupabaseClient<WithCreditsLedger<GeneratedDatabase>>) => ({
      start: () => supabase.rpc('start_generation', { p_user_id: 'u', p_task_type: 'e', p_provider: 'p', p_model: 'm', p_credits: 1 }),
      admin: () => supabase.rpc('is_admin'),
      profiles: () => supabase.from('profiles').select('name'),
      generations: () => supabase.from('my_generations').select('*'),
    });
    type Calls = ReturnType<typeof calls>;
    type Data<K extends keyof Calls> = Awaited<ReturnType<Calls[K]>>['data'];
    expectTypeOf<Data<'start'>>().toEqualTypeOf<{ task_id: string; balance: number; replayed: boolean } | null>();
    expectTypeOf<Data<'admin'>>().toEqualTypeOf<boolean | null>();
    expectTypeOf<NonNullable<Data<'profiles'>>[number]['name']>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<Data<'generations'>>[number]['status']>().toEqualTypeOf<string>();
    expect(typeof calls).toBe('function');
  });
});

describe('InsufficientCreditsError', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ max: 1 });
  });
  afterAll(() => db.drop());

  it("takes required and available from CR001's JSON DETAIL, which callers of PostgREST read the same way", async () => {
    const userId = randomUUID();
    await client.ensureCreditAccount(db.sql, { userId }); // free: 10 credits
    const error = await client
      .startGeneration(db.sql, { userId, taskType: 'enhance', provider: 'wavespeed', model: 'm', credits: 12 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ code: 'CR001', required: 12, available: 10 });
    expect(JSON.parse((error as InsufficientCreditsError).detail!)).toEqual({ required: 12, available: 10, user_id: userId });
    expect((error as Error).message).toBe('insufficient credits: the generation costs 12, the account holds 10');
    // A DETAIL that is not JSON leaves the numbers unknown rather than guessed.
    expect(new InsufficientCreditsError({ code: 'CR001', detail: 'The generation costs 5 credits; user u has 3.' })).toMatchObject({
      required: undefined,
      available: undefined,
    });
  });
});
