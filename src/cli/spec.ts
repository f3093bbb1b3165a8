// What a command declares: its name, arguments, the options it takes (from one catalog, so an
// option means the same everywhere) and the text of its help.
import { parseInterval } from './interval.js';
import type { CommandContext, Flags } from './context.js';
import { UsageError } from './usage-error.js';
import { connectTimeout, dashboardToken, databaseUrl, periodStart, positiveInteger, uuid } from './validate.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help, for string options. */
  value?: string;
  help: string;
  /** Validates the text and stores it in the flags. */
  set?: (flags: Flags, text: string, name: string) => void;
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
    help: `how long a task may stay in flight before this handles it (sweep: default '30 minutes'; reconcile: '2 minutes'), 1 second to a year`,
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
    help: `how long a task asked about is left to this run before another may ask again (default: 4 x the request timeout, at least 1 minute)`,
    set: (f, t, n) => {
      f.leaseSeconds = parseInterval(t, n).seconds;
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
    help: 'tasks per batch (sweep: 1-100000, default 1000), per run (reconcile: 1-10000, default 500), rows per page (history: 1-1000, default 50), accounts per batch (expire-promotions: default 1000)',
    set: (f, t, n) => {
      f.limit = positiveInteger(t, n, 100_000);
    },
  },
  before: {
    type: 'string',
    value: 'ID',
    help: 'the next page: the id of the last row printed (history)',
    set: (f, t, n) => {
      f.before = uuid(t, n);
    },
  },
  key: {
    type: 'string',
    value: 'KEY',
    help: "the change's idempotency key, e.g. the payment provider's event id: the same key again changes nothing",
    set: (f, t, n) => {
      if (t.trim() === '' || t.length > 200) throw new UsageError(`${n} must be 1 to 200 characters, not blank`);
      f.key = t;
    },
  },
  'valid-for': {
    type: 'string',
    value: 'INTERVAL',
    help: "how long the promotional credits stay valid, 1 minute to 366 days (promote), e.g. '7 days'",
    set: (f, t, n) => {
      f.validFor = parseInterval(t, n).interval;
    },
  },
  reason: {
    type: 'string',
    value: 'TEXT',
    help: 'why the credits are granted, shown in the ledger (promote)',
    set: (f, t, n) => {
      if (t.trim() === '' || t.length > 1000) throw new UsageError(`${n} must be 1 to 1000 characters, not blank`);
      f.reason = t;
    },
  },
  period: {
    type: 'string',
    value: 'YYYY-MM-01',
    help: 'a month, its first day (allocate: the period to start; statement: the month to report); default: this month, UTC',
    set: (f, t, n) => {
      f.period = periodStart(t, n);
    },
  },
  apply: { type: 'boolean', help: 'refund for real; without it, a dry run that writes nothing' },
  'batch-size': {
    type: 'string',
    value: 'N',
    help: 'with --apply: tasks per transaction, 1-100000 (default 500)',
    set: (f, t, n) => {
      f.batchSize = positiveInteger(t, n, 100_000);
    },
  },
  refresh: { type: 'boolean', help: 'refresh the monitoring rollups first (dashboard --serve: and every minute while it serves)' },
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
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof optionCatalog;

/** Options every command takes. */
export const commonOptions: OptionName[] = ['database-url', 'connect-timeout', 'json', 'help'];

export interface ArgumentSpec {
  name: string;
  required: boolean;
  check: (text: string, name: string) => string;
}

export interface CommandSpec {
  /** One or two words: 'sweep', 'migrate up'. */
  name: string;
  summary: string;
  /** Paragraphs after the usage line. */
  description: string;
  arguments: ArgumentSpec[];
  options: OptionName[];
  /** Validation across options (and what the command reads from the environment), before connecting. */
  check?: (flags: Flags, env: NodeJS.ProcessEnv) => void;
  run: (ctx: CommandContext) => Promise<number>;
}

/** "sweep [--older-than INTERVAL] [--limit N]" */
export function synopsis(spec: CommandSpec): string {
  const args = spec.arguments.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`));
  const options = spec.options.map((name) => {
    const o: OptionSpec = optionCatalog[name];
    return `[--${name}${o.value ? ` ${o.value}` : ''}]`;
  });
  return [spec.name, ...args, ...options].join(' ');
}
