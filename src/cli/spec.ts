// What a command declares: its name, arguments, the options it takes (from one catalog, so an
// option means the same everywhere) and the text of its help.
import { parseInterval } from './interval.js';
import type { CommandContext, Flags } from './context.js';
import { connectTimeout, databaseUrl, periodStart, positiveInteger } from './validate.js';

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
    type: 'string', value: 'URL', help: 'connection string (default: DATABASE_URL)',
    set: (f, t, n) => { f.databaseUrl = databaseUrl(t, n); },
  },
  'connect-timeout': {
    type: 'string', value: 'SECONDS', help: 'give up when the server has not answered by then (default: PGCONNECT_TIMEOUT, else 10; 0 waits for ever)',
    set: (f, t, n) => { f.connectTimeout = connectTimeout(t, n); },
  },
  json: { type: 'boolean', help: 'one JSON document on stdout (shapes in docs/cli.md)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', short: 'v', help: 'the package version' },
  'older-than': {
    type: 'string', value: 'INTERVAL', help: `how long a task may stay in flight (default '30 minutes'), 1 second to a year`,
    set: (f, t, n) => { f.olderThan = parseInterval(t, n).interval; },
  },
  limit: {
    type: 'string', value: 'N', help: 'tasks per batch, 1-100000 (default 1000)',
    set: (f, t, n) => { f.limit = positiveInteger(t, n, 100_000); },
  },
  period: {
    type: 'string', value: 'YYYY-MM-01', help: 'the period to start (default: this month, UTC)',
    set: (f, t, n) => { f.period = periodStart(t, n); },
  },
  apply: { type: 'boolean', help: 'refund for real; without it, a dry run that writes nothing' },
  'batch-size': {
    type: 'string', value: 'N', help: 'with --apply: tasks per transaction, 1-100000 (default 500)',
    set: (f, t, n) => { f.batchSize = positiveInteger(t, n, 100_000); },
  },
  refresh: { type: 'boolean', help: 'refresh the monitoring rollups first' },
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
  /** Validation across options, before connecting. */
  check?: (flags: Flags) => void;
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
