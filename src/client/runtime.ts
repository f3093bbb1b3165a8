// What the generated client (src/generated/client.ts) calls: one parameterised statement per
// function call or view read, arguments cast to their SQL types, results converted where
// JavaScript would lose precision, and contract errors turned into typed errors.
import type postgres from 'postgres';
import { toCreditsError } from '../errors.js';

export type Sql = postgres.Sql<Record<string, unknown>> | postgres.TransactionSql<Record<string, unknown>>;

/** Any JSON value, for jsonb arguments and results. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A decimal number as an exact string ("0.039000"): money never passes through a float. */
export type Decimal = string;

export interface ArgumentSpec {
  /** The SQL parameter's name, e.g. p_user_id. */
  name: string;
  /** The key in the call's argument object, e.g. userId. */
  key: string;
  /** The SQL type the value is cast to. */
  type: string;
  /** No default in SQL: the call must give it. */
  required?: boolean;
}

export interface ResultSpec {
  /** Columns selected, each with the cast that keeps it exact (e.g. "balance", "cost_usd::text as cost_usd"). */
  select: string[];
  /** Columns that arrive as text and become BigInt. */
  bigints: string[];
}

// Results are read raw (`.raw()`: the wire's text, before the driver's parsers and before any
// `transform` the caller's `sql` has, such as postgres.camel) and parsed here by type OID, so
// the client returns the same names and values whatever options the caller's `sql` was made with.
const parseArray = (text: string) =>
  text === '{}' ? [] : text.slice(1, -1).split(',').map((v) => (v === 'NULL' ? null : v.replace(/^"(.*)"$/, '$1')));
const parsers: Record<number, (text: string) => unknown> = {
  16: (t) => t === 't', // boolean
  21: Number, 23: Number, 26: Number, 700: Number, 701: Number, // int2, int4, oid, float4, float8
  114: (t) => JSON.parse(t), 3802: (t) => JSON.parse(t), // json, jsonb
  1114: (t) => new Date(t), 1184: (t) => new Date(t), // timestamp, timestamptz (ISO DateStyle, as the driver reads them)
  1009: parseArray, 2951: parseArray, // text[], uuid[]
};

/** The name each select-list entry comes back as: its alias, else the column itself. */
const outputName = (entry: string) => /\sas\s+"?([a-z_0-9]+)"?$/i.exec(entry)?.[1] ?? entry.replace(/"/g, '');

type RawResult = Buffer[][] & { columns: { type: number }[] };

function parseRows(result: RawResult, names: string[], bigints: string[]): Record<string, unknown>[] {
  const types = result.columns.map((c) => c.type);
  return result.map((raw) => {
    const row: Record<string, unknown> = {};
    raw.forEach((buffer, i) => {
      if (buffer === null) return void (row[names[i]!] = null);
      const text = buffer.toString('utf8');
      const parse = parsers[types[i]!];
      row[names[i]!] = parse ? parse(text) : text;
    });
    for (const column of bigints) if (row[column] !== null && row[column] !== undefined) row[column] = BigInt(row[column] as string);
    return row;
  });
}

/** A row transform (transform.row.from) would hand us a changed row: refuse it once, clearly. */
function checkOptions(sql: Sql) {
  const transform = (sql as unknown as { options?: { transform?: { row?: { from?: unknown } } } }).options?.transform;
  if (transform?.row?.from) {
    throw new TypeError('pg-credits-ledger: the typed client cannot read results through a row transform (transform.row.from); pass it an sql made without one');
  }
}

/** The call's argument object: only the function's own keys, every required one given. */
function checkArguments(fn: string, specs: ArgumentSpec[], args: Record<string, unknown>) {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new TypeError(`${fn}: the arguments must be an object`);
  const takes = () => (specs.length ? specs.map((s) => s.key).join(', ') : 'no arguments');
  for (const key of Object.keys(args)) {
    if (!specs.some((s) => s.key === key)) throw new TypeError(`${fn}: unknown argument "${key}" (it takes ${takes()})`);
  }
  for (const spec of specs) {
    if (spec.required && args[spec.key] === undefined) throw new TypeError(`${fn}: missing required argument "${spec.key}"`);
  }
}

/**
 * Calls schema.name with named arguments; an argument left undefined is not passed, so the
 * function's own default applies. shape: 'row' (one composite), 'rows' (a set), 'value' (a scalar).
 */
export async function callFunction(
  sql: Sql,
  fn: string,
  specs: ArgumentSpec[],
  argsObject: object,
  result: ResultSpec & { shape: 'row' | 'rows' | 'value' },
): Promise<unknown> {
  const args = argsObject as Record<string, unknown>;
  checkOptions(sql);
  checkArguments(fn, specs, args);
  const given = specs.filter((s) => args[s.key] !== undefined);
  const call = `${fn}(${given.map((s, i) => `${s.name} => $${i + 1}::${s.type}`).join(', ')})`;
  const select = result.shape === 'value' ? ['value'] : result.select;
  const text = result.shape === 'value' ? `select ${call} as value` : `select ${select.join(', ')} from ${call}`;
  try {
    // The server infers each parameter's type from its cast; the driver serialises by it (jsonb included).
    // Prepared: the text only varies with which optional arguments are given, so each connection
    // parses and plans a call once instead of every time.
    const raw = (await sql.unsafe(text, given.map((s) => args[s.key]) as postgres.ParameterOrJSON<never>[], { prepare: true }).raw()) as unknown as RawResult;
    const rows = parseRows(raw, select.map(outputName), result.shape === 'value' ? [] : result.bigints);
    if (result.shape === 'value') return rows[0]?.value ?? null;
    return result.shape === 'row' ? rows[0] ?? null : rows;
  } catch (error) {
    throw toCreditsError(error);
  }
}

export interface ViewQuery<Row> {
  /** Equality filters, by column. */
  where?: Partial<Row>;
  orderBy?: keyof Row & string;
  descending?: boolean;
  limit?: number;
}

/**
 * Reads a view with equality filters, an order and a limit, on its known columns only
 * (`columns` maps each to its SQL type, so a filter compares in that type and can use an index).
 */
export async function readView<Row>(sql: Sql, view: string, columns: Readonly<Record<string, string>>, result: ResultSpec, query: ViewQuery<Row> = {}): Promise<Row[]> {
  const check = (column: string) => {
    if (!Object.hasOwn(columns, column)) throw new RangeError(`${view} has no column ${column}`);
    return `"${column}"`;
  };
  const filters = Object.entries(query.where ?? {}).filter(([, v]) => v !== undefined);
  const where = filters.length ? ` where ${filters.map(([c], i) => `${check(c)} = $${i + 1}::${columns[c]}`).join(' and ')}` : '';
  const order = query.orderBy ? ` order by ${check(query.orderBy)}${query.descending ? ' desc' : ''}` : '';
  const limit = query.limit !== undefined ? ` limit ${Math.max(0, Math.floor(query.limit))}` : '';
  const values = filters.map(([, v]) => (v instanceof Date ? v.toISOString() : String(v)));
  checkOptions(sql);
  try {
    const raw = (await sql.unsafe(`select ${result.select.join(', ')} from ${view}${where}${order}${limit}`, values).raw()) as unknown as RawResult;
    return parseRows(raw, result.select.map(outputName), result.bigints) as Row[];
  } catch (error) {
    throw toCreditsError(error);
  }
}
