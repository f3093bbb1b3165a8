import postgres from 'postgres';
import { toJson } from './json.js';
import { describeTarget } from './validate.js';

/** The validated command line. */
export interface Flags {
  databaseUrl: string;
  /** Seconds; 0 waits for ever. */
  connectTimeout: number;
  json: boolean;
  apply: boolean;
  refresh: boolean;
  /** migrate up: every statement as it runs, not only the summary. */
  verbose?: boolean;
  /** dashboard --serve and where: host, port, and the token every request must carry. */
  serve?: boolean;
  host?: string;
  port?: number;
  token?: string;
  batchSize?: number;
  /** Valid PostgreSQL interval input (see interval.ts). */
  olderThan?: string;
  olderThanSeconds?: number;
  hardLimitSeconds?: number;
  concurrency?: number;
  provider?: string;
  leaseSeconds?: number;
  limit?: number;
  /** reconcile: the provider's API, from WAVESPEED_API_KEY and WAVESPEED_BASE_URL. */
  wavespeed?: { apiKey: string; baseUrl?: string };
  period?: string;
  /** tier, promote: the change's or the grant's idempotency key. */
  key?: string;
  /** promote: how long the credits stay valid (valid interval input) and the grant's reason. */
  validFor?: string;
  reason?: string;
  /** balance: the instant to read the balance at (ISO 8601). */
  at?: string;
  /** grant-promotional-credits: what end users see of the grant. */
  label?: string;
  /** history: the last row of the previous page. */
  before?: string;
  /** import: the source (one of the two) and whether to write. */
  importCsv?: string;
  importQuery?: string;
  dryRun?: boolean;
  /** team create: the team's tier. */
  tier?: string;
  /** tiers set: the tier's values (threshold null: none). */
  allowance?: number;
  threshold?: number | null;
  rolloverCap?: number;
  /** team add: the member's daily cap (0: none). */
  dailyCap?: number;
  /** team list: removed members too. */
  includeRemoved?: boolean;
  /** limits: the account's own limits; null is the tier's, 0 none. Given together. */
  maxInFlight?: number | null;
  dailyCredits?: number | null;
  /** set-auto-top-up: the target and monthly limit (null: none; the threshold is --threshold), or --off. */
  target?: number;
  monthlyLimit?: number | null;
  off?: boolean;
  /** close-ledger: the instant to close through (default: 00:00 UTC today). */
  through?: string;
}

/** What every command gets: where to connect, how to print. */
export interface CommandContext {
  /** The positional arguments after the command's name, validated. */
  args: string[];
  flags: Flags;
  /** A small pool (with the connect timeout), closed by the caller's `finally`. */
  connect(): postgres.Sql;
  /**
   * The connection string for the migration tooling (node-pg-migrate's own connections), once a
   * connection with the timeout has proved that the server answers.
   */
  reachableDatabaseUrl(): Promise<string>;
  /** Prints `data` as JSON with --json, else runs `text`. */
  print(data: unknown, text: () => void): void;
}

export function createContext(args: string[], flags: Flags): CommandContext {
  let announced = false;
  // On a terminal, say where we connect (a slow or silent server is then easy to place).
  const announce = () => {
    if (announced || !process.stderr.isTTY) return;
    announced = true;
    process.stderr.write(`connecting to ${describeTarget(flags.databaseUrl)}…\n`);
  };
  const connect = () => {
    announce();
    return postgres(flags.databaseUrl, {
      max: 2,
      onnotice: () => {},
      connect_timeout: flags.connectTimeout,
      connection: { application_name: 'credits-cli', TimeZone: 'UTC' },
    });
  };
  return {
    args,
    flags,
    connect,
    async reachableDatabaseUrl() {
      const sql = connect();
      try {
        await sql`select 1`;
      } finally {
        await sql.end();
      }
      return flags.databaseUrl;
    },
    print(data, text) {
      if (flags.json) process.stdout.write(`${toJson(data)}\n`);
      else text();
    },
  };
}
