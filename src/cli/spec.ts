// What a command declares: its name, arguments, the options it takes (from one catalog, so an
// option means the same everywhere) and the text of its help.
import { reconcileDefaults } from '../wavespeed/reconcile.js';
import { parseInterval } from './interval.js';
import type { CommandContext, Flags } from './context.js';
import { UsageError } from './usage-error.js';
import { connectTimeout, dashboardToken, databaseUrl, instant, isBlank, periodStart, positiveInteger, someText, uuid } from './validate.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help, for string options. */
  value?: string;
  /** The help where a command says nothing of its own (OptionUse.help). */
  help: string;
  /** Validates the text and stores it in the flags; `use` is how this command takes the option. */
  set?: (flags: Flags, text: string, name: string, use: OptionUse) => void;
}

/** How one command takes an option: the catalog's meaning, with this command's help and range. */
export interface OptionUse {
  name: OptionName;
  /** The command does not run without it (no brackets around it in the usage line). */
  required?: boolean;
  /** What the option means for this command, its range and default. */
  help?: string;
  /** A count's largest value for this command (--limit: the SQL function's own bound). */
  max?: number;
  /** The value's placeholder for this command, where it takes fewer forms than the catalog's. */
  value?: string;
}

/**
 * --limit of each command that takes it: what it counts, its range and its default. The ranges
 * are the SQL functions' own (expire_stale_generations, claim_generations_to_reconcile,
 * credit_history, expire_promotional_credits), checked before connecting;
 * tests/cli-operator.test.ts holds them against the database.
 */
export const limits = {
  'expire-stale-generations': { counts: 'tasks per batch', max: 100_000, default: 1000 },
  reconcile: { counts: 'tasks per run', max: 10_000, default: reconcileDefaults.limit },
  history: { counts: 'rows per page', max: 1000, default: 50 },
  'expire-promotional-credits': { counts: 'accounts per batch', max: 100_000, default: 1000 },
} as const;

/** The credits grant-promotional-credits grants at most: grant_promotional_credits' bound (1 to 100,000,000). */
export const maxPromotionalCredits = 100_000_000;

export function limitOption(command: keyof typeof limits): OptionUse {
  const { counts, max, default: byDefault } = limits[command];
  return { name: 'limit', max, help: `${counts}, 1-${max} (default ${byDefault})` };
}

export const optionCatalog = {
  'database-url': {
    type: 'string',
    value: 'URL',
    help: 'connection string (default: DATABASE_URL)',
    set: (f, t, n) => {
      f.databaseUrl = databaseUrl(t, n);
    },
  },
  'connect-timeout': {
    type: 'string',
    value: 'SECONDS',
    help: 'give up when the server has not answered by then (default: PGCONNECT_TIMEOUT, else 10; 0 waits for ever)',
    set: (f, t, n) => {
      f.connectTimeout = connectTimeout(t, n);
    },
  },
  json: { type: 'boolean', help: 'one JSON document on stdout (shapes in docs/cli.md)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', short: 'v', help: 'the package version' },
  'older-than': {
    type: 'string',
    value: 'INTERVAL',
    help: 'how long a task may stay in flight before this handles it, 1 second to a year',
    set: (f, t, n) => {
      const parsed = parseInterval(t, n);
      f.olderThan = parsed.interval;
      f.olderThanSeconds = parsed.seconds;
    },
  },
  'hard-limit': {
    type: 'string',
    value: 'INTERVAL',
    help: `expire and refund a task the provider still works on after this long (default '20 minutes'; keep it under the sweep's)`,
    set: (f, t, n) => {
      f.hardLimitSeconds = parseInterval(t, n).seconds;
    },
  },
  lease: {
    type: 'string',
    value: 'INTERVAL',
    help: `how long a task asked about is left to this run before another may ask again, at most a day (default: 4 x the request timeout, at least 1 minute)`,
    set: (f, t, n) => {
      const { seconds } = parseInterval(t, n);
      // claim_generations_to_reconcile clears leases after a day: a longer one would not hold
      if (seconds > 86_400) throw new UsageError(`${n} ${JSON.stringify(t)}: more than a day`);
      f.leaseSeconds = seconds;
    },
  },
  provider: {
    type: 'string',
    value: 'NAME',
    help: `the provider name the tasks were recorded with (default 'wavespeed'; the same as your submit and webhook configuration)`,
    set: (f, t, n) => {
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(t))
        throw new UsageError(`${n} must be a provider name (letters, digits, _ . : -), got ${JSON.stringify(t)}`);
      f.provider = t;
    },
  },
  concurrency: {
    type: 'string',
    value: 'N',
    help: 'requests to the provider at once, 1-64 (default 8)',
    set: (f, t, n) => {
      f.concurrency = positiveInteger(t, n, 64);
    },
  },
  limit: {
    type: 'string',
    value: 'N',
    help: 'how many at most',
    set: (f, t, n, use) => {
      if (use.max === undefined) throw new Error(`${n}: the command gives no range`); // limitOption() does
      f.limit = positiveInteger(t, n, use.max);
    },
  },
  at: {
    type: 'string',
    value: 'TIME',
    help: 'an instant, ISO 8601 (2026-12-03T12:00:00Z): the balance as the ledger had it then',
    set: (f, t, n) => {
      f.at = instant(t, n);
    },
  },
  through: {
    type: 'string',
    value: 'TIME',
    help: 'close through this instant, ISO 8601 (default: 00:00 UTC today); not later than now',
    set: (f, t, n) => {
      f.through = instant(t, n);
    },
  },
  label: {
    type: 'string',
    value: 'TEXT',
    help: 'what end users see of the grant (my_promotional_grants); --reason stays internal',
    set: (f, t, n) => {
      f.label = someText(t, n, 200);
    },
  },
  before: {
    type: 'string',
    value: 'ID',
    help: 'the next page: the id of the last row printed',
    set: (f, t, n) => {
      f.before = uuid(t, n);
    },
  },
  key: {
    type: 'string',
    value: 'KEY',
    help: "the change's idempotency key, e.g. the payment provider's event id: the same key again changes nothing",
    set: (f, t, n) => {
      f.key = someText(t, n, 200);
    },
  },
  'valid-for': {
    type: 'string',
    value: 'INTERVAL',
    help: "how long the promotional credits stay valid, as PostgreSQL reads an interval ('7 days', '1 month', '2 weeks', '12 hours'); the expiry must fall 1 minute to 366 days ahead",
    // Passed on as written, as the typed client passes validFor: the database reads it and
    // refuses (exit 1, naming --valid-for) what it cannot read or what is out of range.
    set: (f, t, n) => {
      if (isBlank(t) || t.length > 100) throw new UsageError(`${n} must be an interval such as '7 days', 1 to 100 characters`);
      f.validFor = t;
    },
  },
  reason: {
    type: 'string',
    value: 'TEXT',
    help: 'why the credits are granted, shown in the ledger',
    set: (f, t, n) => {
      f.reason = someText(t, n, 1000);
    },
  },
  period: {
    type: 'string',
    value: 'YYYY-MM-01',
    help: 'a month, its first day; default: this month, UTC',
    set: (f, t, n) => {
      f.period = periodStart(t, n);
    },
  },
  apply: { type: 'boolean', help: 'refund for real; without it, a dry run that writes nothing' },
  'dry-run': { type: 'boolean', help: 'check and count everything, write nothing' },
  csv: {
    type: 'string',
    value: 'FILE',
    help: `a CSV file with a header line: user_id, tier, and any of monthly, purchased, promotional, promotional_expires_at, promotional_reason`,
    set: (f, t) => {
      f.importCsv = t;
    },
  },
  'from-sql': {
    type: 'string',
    value: 'QUERY',
    help: "a query over this database whose columns are named as the CSV's",
    set: (f, t, n) => {
      if (isBlank(t)) throw new UsageError(`${n} must be a query`);
      f.importQuery = t;
    },
  },
  'batch-size': {
    type: 'string',
    value: 'N',
    help: 'with --apply: tasks per transaction, 1-100000 (default 500)',
    set: (f, t, n) => {
      f.batchSize = positiveInteger(t, n, 100_000);
    },
  },
  refresh: { type: 'boolean', help: 'refresh the monitoring rollups first (with --serve: and every minute while it serves)' },
  verbose: { type: 'boolean', help: 'list every migration, function, view and privilege statement run, as it runs them' },
  serve: { type: 'boolean', help: 'serve the dashboard page over HTTP until Ctrl-C, instead of printing' },
  host: {
    type: 'string',
    value: 'ADDRESS',
    help: 'with --serve: the address to listen on (default 127.0.0.1; any other needs a token)',
    set: (f, t, n) => {
      if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(t))
        throw new UsageError(`${n} must be a host name or an IP address, got ${JSON.stringify(t)}`);
      f.host = t.replace(/^\[(.*)\]$/, '$1');
    },
  },
  port: {
    type: 'string',
    value: 'PORT',
    help: 'with --serve: the port (default 8787; 0 picks a free one)',
    set: (f, t, n) => {
      if (!/^\d{1,5}$/.test(t) || Number(t) > 65535) throw new UsageError(`${n} must be a port, 0-65535, got ${JSON.stringify(t)}`);
      f.port = Number(t);
    },
  },
  token: {
    type: 'string',
    value: 'TOKEN',
    help: 'with --serve: every request must carry it (default: CREDITS_DASHBOARD_TOKEN); at least 16 characters',
    set: (f, t, n) => {
      f.token = dashboardToken(t, n);
    },
  },
  tier: {
    type: 'string',
    value: 'TIER',
    help: "the team's tier (default 'free')",
    set: (f, t, n) => {
      f.tier = someText(t, n, 64);
    },
  },
  'daily-cap': {
    type: 'string',
    value: 'N',
    help: "credits of the team's the member may spend per UTC day; 0 for none (default: none)",
    set: (f, t, n) => {
      f.dailyCap = t === '0' ? 0 : positiveInteger(t, n, 100_000_000);
    },
  },
  'include-removed': { type: 'boolean', help: 'list removed members too' },
  allowance: {
    type: 'string',
    value: 'N',
    help: "the tier's monthly allowance, 0-100000000 credits",
    set: (f, t, n) => {
      f.allowance = t === '0' ? 0 : positiveInteger(t, n, 100_000_000);
    },
  },
  threshold: {
    type: 'string',
    value: 'N|none',
    help: "the tier's low-balance threshold, 1-100000000, or none (default: none)",
    set: (f, t, n) => {
      f.threshold = t === 'none' ? null : positiveInteger(t, n, 100_000_000);
    },
  },
  'rollover-cap': {
    type: 'string',
    value: 'N',
    help: 'unused monthly credits an account carries into its next period, 0-100000000 (default 0: all expire)',
    set: (f, t, n) => {
      f.rolloverCap = t === '0' ? 0 : positiveInteger(t, n, 100_000_000);
    },
  },
  'max-in-flight': {
    type: 'string',
    value: 'N|none|tier',
    help: "generations in flight the account may pay for: a number, none (whatever its tier) or tier (its tier's)",
    set: (f, t, n) => {
      f.maxInFlight = ownLimit(t, n, 1_000_000);
    },
  },
  'daily-credits': {
    type: 'string',
    value: 'N|none|tier',
    help: "credits the account may spend per UTC day: a number, none (whatever its tier) or tier (its tier's)",
    set: (f, t, n) => {
      f.dailyCredits = ownLimit(t, n, 100_000_000);
    },
  },
  target: {
    type: 'string',
    value: 'N',
    help: 'the balance an automatic top-up brings the account back to: above --threshold, at most 100000000',
    set: (f, t, n) => {
      f.target = positiveInteger(t, n, 100_000_000);
    },
  },
  'monthly-limit': {
    type: 'string',
    value: 'N|none',
    help: 'credits top-ups may request per UTC month, 1-1000000000, or none (default: none)',
    set: (f, t, n) => {
      f.monthlyLimit = t === 'none' ? null : positiveInteger(t, n, 1_000_000_000);
    },
  },
  off: { type: 'boolean', help: 'turn automatic top-ups off' },
} satisfies Record<string, OptionSpec>;

/** An account's own limit as set_credit_limits takes it: a number, 0 (none) or null (the tier's). */
function ownLimit(text: string, name: string, max: number): number | null {
  if (text === 'tier') return null;
  if (text === 'none') return 0;
  return positiveInteger(text, name, max);
}

export type OptionName = keyof typeof optionCatalog;

/** Options every command takes. */
export const commonOptions: OptionName[] = ['database-url', 'connect-timeout', 'json', 'help'];

export interface ArgumentSpec {
  name: string;
  required: boolean;
  check: (text: string, name: string) => string;
}

export interface CommandSpec {
  /**
   * One or two words: 'expire-stale-generations', 'migrate up'. A command that runs a SQL job or
   * write is named after its function, with dashes (`allocate_monthly_credits` is
   * `credits allocate-monthly-credits`); groups (migrate, refunds, cleanup) are the DBA's tools.
   */
  name: string;
  /** Former names, still accepted for one release, with a note on stderr. */
  deprecatedAliases?: string[];
  summary: string;
  /** Paragraphs after the usage line. */
  description: string;
  arguments: ArgumentSpec[];
  /** The options it takes: a name (the catalog's help), or how this command takes it. */
  options: (OptionName | OptionUse)[];
  /** Validation across options (and what the command reads from the environment), before connecting. */
  check?: (flags: Flags, env: NodeJS.ProcessEnv) => void;
  run: (ctx: CommandContext) => Promise<number>;
}

/** A command's options as uses, in its order. */
export function optionUses(spec: CommandSpec): OptionUse[] {
  return spec.options.map((o) => (typeof o === 'string' ? { name: o } : o));
}

/** "tier <user-id> <tier> --key KEY", "sweep [--older-than INTERVAL] [--limit N]": brackets around what may be left out. */
export function synopsis(spec: CommandSpec): string {
  const args = spec.arguments.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`));
  const options = optionUses(spec).map((use) => {
    const o: OptionSpec = optionCatalog[use.name];
    const value = use.value ?? o.value;
    const text = `--${use.name}${value ? ` ${value}` : ''}`;
    return use.required ? text : `[${text}]`;
  });
  return [spec.name, ...args, ...options].join(' ');
}
