import postgres from 'postgres';
import { requireDatabaseUrl } from '../db/url.js';

/** What every command gets: where to connect, how to print. */
export interface CommandContext {
  args: string[];
  flags: {
    databaseUrl?: string;
    json: boolean;
    apply: boolean;
    refresh: boolean;
    batchSize?: number;
    olderThan?: string;
    limit?: number;
    period?: string;
  };
  databaseUrl(): string;
  /** A small pool, closed by the caller's `finally`. */
  connect(): postgres.Sql;
  /** Prints `data` as JSON with --json, else runs `text`. */
  print(data: unknown, text: () => void): void;
}

export class UsageError extends Error {}

export function createContext(args: string[], flags: CommandContext['flags']): CommandContext {
  return {
    args,
    flags,
    databaseUrl: () => requireDatabaseUrl(flags.databaseUrl),
    connect() {
      return postgres(requireDatabaseUrl(flags.databaseUrl), { max: 2, onnotice: () => {}, connection: { application_name: 'credits-cli' } });
    },
    print(data, text) {
      // Credits are bigint: written as decimal strings, as `credits allocate` always did (JSON
      // numbers lose precision past 2^53 in most readers).
      if (flags.json) console.log(JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
      else text();
    },
  };
}
