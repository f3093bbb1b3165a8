// The TypeScript types of the package's JSON documents: what a jsonb-returning function's header
// names as its "Document type" (the generated client returns it). Kinds of value as everywhere
// (docs/client.md): money as exact decimal strings, credits, counts and rates as numbers,
// timestamps as UTC ISO strings. tests/admin-stats.test.ts walks a real document against these
// types, key by key, so they cannot drift from the SQL.
import type { Decimal, Timestamp } from './runtime.js';

export interface ProviderModelStats {
  model: string;
  generations: number;
  succeeded: number;
  failed: number;
  provider_cost_usd: Decimal;
  /** Completions with no known provider cost: not in provider_cost_usd. */
  unpriced: number;
  success_rate: number | null;
  /** Over priced completions only. */
  cost_per_success: Decimal | null;
  /** Approximate (latency histogram, within 4.9 %), submitted → finished; null when nothing finished. */
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** What the starts held (contract §11). */
  credits_charged: number;
  /** What the generations finally cost: held less failures' refunds and settlements. */
  credits_used: number;
  /** The margin: provider cost per credit used; null without credits used. */
  cost_per_credit_used: Decimal | null;
}

export interface ProviderStats {
  provider: string;
  generations: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
  provider_cost_usd: Decimal;
  /** Over priced completions only. */
  cost_per_success: Decimal | null;
  /** Completions with no known provider cost. */
  unpriced: number;
  /** Share of completions whose cost is known; null without completions. */
  cost_coverage: number | null;
  /** Approximate (latency histogram, within 4.9 %), submitted → finished; null when nothing finished. */
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  models: ProviderModelStats[];
}

export interface PlatformHealth {
  /** Today (UTC), 'YYYY-MM-DD'. */
  day: string;
  success_rate: number | null;
  success_rate_min: number;
  success_status: 'ok' | 'alert' | 'no_data';
  failures: number;
  failures_max: number;
  failures_status: 'ok' | 'alert';
  refund_rate: number | null;
  refund_rate_max: number;
  refund_status: 'ok' | 'alert' | 'no_data';
  stuck_tasks: number;
  stuck_tasks_max: number;
  stuck_status: 'ok' | 'alert';
  /** Known provider cost of today's generations. */
  cost_usd: Decimal;
  unpriced: number;
  cost_coverage: number | null;
  /** 'incomplete' when some of today's completions have no known cost. */
  cost_status: 'ok' | 'incomplete' | 'no_data';
  /** 'alert' when a threshold is crossed, else 'warn' when today's spend is incomplete. */
  status: 'ok' | 'warn' | 'alert';
  rollups_refreshed_at: Timestamp | null;
  /** 'stale' or 'never': the last refresh is older than rollups_stale_after_minutes (as of the refresh, an alert). */
  rollups_status: 'ok' | 'stale' | 'never';
}

/** One UTC day of the range: the dashboard's trends. */
export interface DailyStats {
  /** 'YYYY-MM-DD' (UTC). */
  day: string;
  generations: number;
  succeeded: number;
  failed: number;
  credits_charged: number;
  credits_refunded: number;
  /** Given back by settlements (a hold larger than the use): not refunds of failures. */
  credits_settled: number;
  /** What the day's generations finally cost: charged less refunded and settled. */
  credits_used: number;
  provider_cost_usd: Decimal;
  failed_cost_usd: Decimal;
  /** null when nothing finished that day. */
  success_rate: number | null;
  /** null when nothing was charged that day. */
  refund_rate: number | null;
}

/** admin_credit_stats(): the admin dashboard's document. */
/**
 * An account's figures over the range (top_users and its siblings): a user's own, or a team's
 * for all its members' generations (contract §12).
 */
export interface UserStats {
  /** The account that paid: a user, or a team. */
  user_id: string;
  /** A team's members now; null for a user's own account. */
  members: number | null;
  /** What the account owes now (contract §13): credits revoked beyond what it held; 0: nothing. */
  debt_credits: number;
  generations: number;
  credits_charged: number;
  credits_refunded: number;
  provider_cost_usd: Decimal;
}

export interface AdminCreditStats {
  /** as_of_refresh: read from the rollups as of data_through only (whole UTC days). */
  period: { from: Timestamp; to: Timestamp; as_of_refresh: boolean };
  totals: {
    generations: number;
    succeeded: number;
    failed: number;
    in_flight: number;
    /** What the starts held (contract §11: a start's charge is a hold). */
    credits_charged: number;
    /** Refunds of failures only; the refund rate's numerator. */
    credits_refunded: number;
    /** Given back by settlements (holds larger than what the generations used). */
    credits_settled: number;
    /** What the generations finally cost: charged less refunded and settled. */
    credits_used: number;
    provider_cost_usd: Decimal;
    /** Spend on the generations that failed (refunded): a cost passed with the failure, or a late success. Part of provider_cost_usd. */
    failed_cost_usd: Decimal;
    /** Spend over the finished generations whose cost is known (priced completions + failures; in flight have none yet); null without any. */
    cost_per_generation: Decimal | null;
    /** Spend over the priced completions; null without any. */
    cost_per_success: Decimal | null;
  };
  success_rate: number | null;
  /** One entry per UTC day the range touches, in order, whole days and partial edges alike, exact. */
  daily: DailyStats[];
  providers: ProviderStats[];
  failures: {
    total: number;
    by_source: Partial<Record<'callback' | 'api_error' | 'timeout' | 'admin' | 'unknown', number>>;
    top_errors: { provider: string; failure_source: string; error: string; failures: number }[];
  };
  refunds: { tasks: number; credits: number; rate: number | null };
  /** Is the spend complete? Completions with no known cost, and the models they came from. */
  pricing: {
    complete: boolean;
    unpriced: number;
    coverage: number | null;
    unpriced_models: { provider: string; model: string; unpriced: number }[];
  };
  /** The range's 10 users who were charged the most credits. */
  top_users: UserStats[];
  /** The range's 10 users who cost the most upstream. */
  top_users_by_cost: UserStats[];
  /** The range's 10 users with the most generations. */
  top_users_by_generations: UserStats[];
  health: PlatformHealth;
  /** monitoring.optimization_hints: models worth a look over the last 30 days. */
  optimization_hints: { provider: string; model: string; generations: number; hint: string }[];
  /** Completed results reported in the range for jobs no task recorded (a lost submission answer): spend without a task. */
  unmatched_provider_results: { count: number; cost_usd: Decimal };
  data_through: Timestamp | null;
}
