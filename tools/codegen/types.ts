// One TypeScript type per kind of value (docs/client.md, "Type mapping"), so a figure has the
// same type in the typed client, the admin document and the CLI's JSON, and every result is
// plain JSON data (JSON.parse(JSON.stringify(r)) equals r):
//   credits and counts (integer, smallint, bigint) → number: bigint is read as text and
//     converted, RangeError past 2^53 - 1 rather than a rounded figure
//   money (numeric) → Decimal, an exact decimal string ("0.039000")
//   rates, shares, latencies (double precision) → number
//   timestamps (timestamptz) → string, ISO 8601 in UTC as jsonb writes it ("2026-11-29T22:50:25.123+00:00")
//   dates, intervals → string ('2026-11-01', '00:30:00'); uuid, text → string; jsonb → JsonValue
import type { Annotations } from './annotations.js';

export interface TypeMapping {
  /** The result's TypeScript type. */
  ts: string;
  /** An argument's TypeScript type, when it differs. */
  arg?: string;
  /** How the column is selected so that its value comes back exact and in one format. */
  select?: (column: string) => string;
  /** Arrives as text (int8) and becomes a safe-integer number. */
  integer?: boolean;
}

const asText = (column: string) => `${column}::text as ${column}`;
// to_jsonb of the UTC wall time is jsonb's ISO form (fraction without trailing zeros); infinite
// timestamps (a watermark's '-infinity') keep their own spelling.
const asUtcIso = (column: string) =>
  `case when isfinite(${column}) then (to_jsonb(${column} at time zone 'UTC') #>> '{}') || '+00:00' else ${column}::text end as ${column}`;

const mappings: Record<string, TypeMapping> = {
  uuid: { ts: 'string' },
  text: { ts: 'string' },
  'character varying': { ts: 'string' },
  integer: { ts: 'number' },
  smallint: { ts: 'number' },
  bigint: { ts: 'number', integer: true },
  numeric: { ts: 'Decimal', select: asText },
  'double precision': { ts: 'number' },
  boolean: { ts: 'boolean' },
  'timestamp with time zone': { ts: 'Timestamp', arg: 'Date | Timestamp', select: asUtcIso },
  date: { ts: 'string', select: asText },
  interval: { ts: 'string', select: asText },
  jsonb: { ts: 'JsonValue' },
  'uuid[]': { ts: 'string[]' },
  'bigint[]': { ts: 'number[]' },
  'text[]': { ts: 'string[]' },
};

export function mapping(sqlType: string, where: string): TypeMapping {
  const found = mappings[sqlType.replace(/\(.*\)$/, '')];
  if (!found) throw new Error(`codegen: no TypeScript mapping for SQL type "${sqlType}" (${where}); add one in tools/codegen/types.ts`);
  return found;
}

/** Each "Never null" column must be one of the outputs: a typo must not pass silently. */
export function neverNullColumns(annotations: Annotations, outputs: string[], where: string): Set<string> {
  for (const column of annotations.neverNull) {
    if (!outputs.includes(column))
      throw new Error(`codegen: ${where}'s header says "Never null: ${column}", which is not one of its results (${outputs.join(', ')})`);
  }
  return new Set(annotations.neverNull);
}

export const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const pascal = (name: string) => camel(name).replace(/^./, (c) => c.toUpperCase());
export const doc = (comment: string | null, indent = '') => (comment ? `${indent}/** ${comment.replace(/\*\//g, '*\\/')} */\n` : '');
export const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
