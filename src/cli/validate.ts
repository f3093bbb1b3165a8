// Checks of the command line's values, made before connecting: each failure is a UsageError
// (exit 2) naming the argument.
import { UsageError } from './usage-error.js';

/**
 * Blank as the database's rule has it (credits_private.require_text): empty or only Unicode
 * White_Space and the invisible U+200B-U+200D, U+2060, U+FEFF. JavaScript's \s is White_Space
 * but U+0085 and with U+FEFF; tests/hostile-arguments.test.ts holds the two sets equal.
 */
export const isBlank = (text: string): boolean => /^[\s\u0085\u200b-\u200d\u2060]*$/.test(text);

/** Text of 1 to `max` characters, not blank (a key, a reason, an import id). */
export function someText(text: string, name: string, max: number): string {
  if (isBlank(text) || text.length > max) throw new UsageError(`${name} must be 1 to ${max} characters, not blank`);
  return text;
}

/** A whole number in [1, max]. */
export function positiveInteger(text: string, name: string, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1 && n <= max))
    throw new UsageError(`${name} takes a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** The first day of a month, YYYY-MM-01 (allocate_monthly_credits' period). */
export function periodStart(text: string, name: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])-01$/.test(text))
    throw new UsageError(`${name} takes the first day of a month, YYYY-MM-01, got ${JSON.stringify(text)}`);
  return text;
}

export function uuid(text: string, name: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text))
    throw new UsageError(`${name} must be a UUID, got ${JSON.stringify(text)}`);
  return text.toLowerCase();
}

/** The dashboard's access token: 16 to 200 printable characters without spaces (a header and a cookie carry it). */
export function dashboardToken(text: string, name: string): string {
  if (!/^[\x21-\x7e]{16,200}$/.test(text) || /[;,"\\]/.test(text)) {
    throw new UsageError(
      `${name} must be 16 to 200 printable characters without spaces, quotes, commas, semicolons or backslashes (openssl rand -hex 16 makes one)`,
    );
  }
  return text;
}

/** Seconds to wait for the server's answer; 0 waits for ever (as libpq's connect_timeout). */
export function connectTimeout(text: string, name: string): number {
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 3600)) throw new UsageError(`${name} takes seconds from 0 (wait for ever) to 3600, got ${JSON.stringify(text)}`);
  return n;
}

/** A postgres:// or postgresql:// connection string (a unix socket goes in ?host=/path). */
export function databaseUrl(text: string, name: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
    throw new UsageError(
      `${name} must be a connection string such as postgres://user@host:5432/database, got ${url ? `a ${url.protocol} URL` : 'something else'}`,
    );
  }
  return text;
}

/** Where a connection string points, without its password: "user@host:port/database". */
export function describeTarget(text: string): string {
  const url = new URL(text);
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  return `${url.username ? `${decodeURIComponent(url.username)}@` : ''}${host}:${url.port || '5432'}/${database}`;
}

/** An ISO 8601 instant (2026-12-03T12:00:00Z, or a date alone), as given. */
export function instant(text: string, name: string): string {
  if (!/^\d{4}-\d\d-\d\d([T ][\d:.]+)?(Z|[+-]\d\d(:?\d\d)?)?$/.test(text) || Number.isNaN(Date.parse(text)))
    throw new UsageError(`${name} takes an ISO 8601 instant such as 2026-12-03T12:00:00Z, got ${JSON.stringify(text)}`);
  return text;
}
