// What the generated client (src/generated/client.ts) calls: one parameterised statement per
// function call or view read, arguments cast to their SQL types, results as plain JSON data
// (int8 as safe-integer numbers, money as decimal strings, timestamps as UTC ISO strings: the
// selects of tools/codegen/types.ts), and contract errors turned into typed errors.
import { InvalidArgumentError, toCreditsError } from '../errors.js';

/**
 * What every call takes as `sql`: a postgres.js pool, transaction (`sql.begin`) or reserved
 * connection, of `postgres` 3.4 or later or 4 (the package's peer dependency). Typed by the one
 * method the client uses rather than as postgres.Sql, so that the application's copy of the
 * driver fits whichever major it is, and even when the package's types see another copy (a
 * folder install links to a checkout that has its own).
 */
export interface Sql {
  unsafe(query: string, parameters: never[], options: { prepare: boolean }): SqlQuery;
}

/** A query as postgres.js returns it: its rows when awaited, or the wire's text with `.raw()`. */
export interface SqlQuery extends PromiseLike<readonly Record<string, unknown>[]> {
  raw(): PromiseLike<unknown>;
}

/** Any JSON value, for jsonb arguments and results. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A decimal number as an exact string ("0.039000"): money never passes through a float. */
export type Decimal = string;

/** A timestamp as an ISO 8601 string in UTC, as jsonb writes it: "2026-11-29T22:50:25.123456+00:00" (microseconds kept). */
export type Timestamp = string;

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
  /** Columns that arrive as text (SQL bigint) and become numbers, refused past 2^53 - 1. */
  integers: string[];
}

// When the caller's sql may transform results (postgres.camel renames columns and json keys) or
// parse them its own way, results are read raw (`.raw()`: the wire's text, before the driver's
// parsers and any transform) and parsed here by type OID, so the client returns the same names
// and values whatever options the caller's `sql` was made with.
const parseArray = (text: string) =>
  text === '{}'
    ? []
    : text
        .slice(1, -1)
        .split(',')
        .map((v) => (v === 'NULL' ? null : v.replace(/^"(.*)"$/, '$1')));
const parsers: Record<number, (text: string) => unknown> = {
  16: (t) => t === 't', // boolean
  21: Number,
  23: Number,
  26: Number,
  700: Number,
  701: Number, // int2, int4, oid, float4, float8
  114: (t) => JSON.parse(t),
  3802: (t) => JSON.parse(t), // json, jsonb
  1009: parseArray,
  2951: parseArray, // text[], uuid[]
};

/** The name each select-list entry comes back as: its alias (`x::text as x`), else the column itself. */
function namesOf(select: string[]): string[] {
  return select.map((entry) => {
    const alias = entry.lastIndexOf(' as ');
    return alias === -1 ? entry : entry.slice(alias + 4);
  });
}

type RawResult = Buffer[][] & { columns: { type: number }[] };

function parseRows(result: RawResult, names: string[], integers: string[]): Record<string, unknown>[] {
  const types = result.columns.map((c) => c.type);
  return result.map((raw) => {
    const row: Record<string, unknown> = {};
    raw.forEach((buffer, i) => {
      const parse = parsers[types[i]!];
      const text = buffer === null ? null : buffer.toString('utf8');
      row[names[i]!] = text === null ? null : parse ? parse(text) : text;
    });
    return convert(row, integers);
  });
}

interface DriverOptions {
  transform?: { column?: { from?: unknown }; value?: { from?: unknown }; row?: { from?: unknown } };
  types?: Record<string, unknown>;
}

/**
 * How to read the results: 'driver' when the caller's sql is known to parse as the driver does
 * by default (a pool made without transform or custom types: its own parsing is the fastest),
 * 'raw' otherwise (a transform, custom types, or a TransactionSql, which does not expose its
 * options). A row transform would hand back rows the client did not select: refused, clearly.
 */
function readMode(sql: Sql): 'driver' | 'raw' {
  const options = (sql as unknown as { options?: DriverOptions }).options;
  const transform = options?.transform;
  if (transform?.row?.from) {
    throw new TypeError(
      'pg-credits-ledger: the typed client cannot read results through a row transform (transform.row.from); pass it an sql made without one',
    );
  }
  const plain = !!transform && !transform.column?.from && !transform.value?.from && Object.keys(options?.types ?? {}).length === 0;
  return plain ? 'driver' : 'raw';
}

/** int8 text → number, exactly: a figure past 2^53 - 1 is refused rather than rounded. */
function convert(row: Record<string, unknown>, integers: string[]): Record<string, unknown> {
  for (const column of integers) {
    const text = row[column];
    if (text === null || text === undefined) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(
        `pg-credits-ledger: ${column} is ${String(text)}, beyond what a JavaScript number holds exactly (2^53 - 1); read it with SQL`,
      );
    }
    row[column] = value;
  }
  return row;
}

/**
 * Runs a statement and returns its rows with the names of `select`, read by `mode`. Not async:
 * the driver's query is awaited once, by the caller (this is on every call's path).
 */
function runQuery(
  sql: Sql,
  mode: 'driver' | 'raw',
  text: string,
  values: unknown[],
  select: string[],
  integers: string[],
  prepare: boolean,
): PromiseLike<Record<string, unknown>[]> {
  const query = sql.unsafe(text, values as never[], { prepare });
  return mode === 'driver'
    ? query.then((rows) => rows.map((row) => convert({ ...row }, integers)))
    : query.raw().then((raw) => parseRows(raw as unknown as RawResult, namesOf(select), integers));
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
    const value = args[spec.key];
    if (value === undefined || value === null) continue; // null: the function decides (CR003 where it is required)
    const problem = valueProblem(spec.type, value);
    if (problem) {
      throw new InvalidArgumentError(
        { code: 'CR003', message: `${fn}: ${spec.key} ${problem}`, detail: `${spec.name} (${spec.type}) was ${describe(value)}.` },
        { parameter: spec.key },
      );
    }
  }
}

const describe = (value: unknown) =>
  typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
const uuid = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;
const decimal = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/** Why a value cannot be cast to the parameter's SQL type, checked before it is sent (else undefined). */
function valueProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'uuid':
      return typeof value === 'string' && uuid.test(value) ? undefined : 'must be a UUID';
    case 'integer':
      // The argument's own range is the function's to say (CR003, naming it by its key): here, a
      // whole number, and one the SQL integer it is sent as can hold.
      if (!(typeof value === 'number' && Number.isInteger(value))) return 'must be a whole number';
      return value >= -2_147_483_648 && value <= 2_147_483_647 ? undefined : 'is out of range (the function takes a 32-bit integer)';
    case 'bigint':
      return (typeof value === 'bigint' && value >= -(2n ** 63n) && value < 2n ** 63n) ||
        (typeof value === 'number' && Number.isSafeInteger(value))
        ? undefined
        : 'must be a whole number (a bigint, or a safe integer)';
    case 'numeric':
      return (typeof value === 'string' && decimal.test(value)) || (typeof value === 'number' && Number.isFinite(value))
        ? undefined
        : 'must be a decimal number (a string such as "0.039", or a finite number)';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'text':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'date':
      return typeof value === 'string' && isoDate.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
        ? undefined
        : 'must be a date, YYYY-MM-DD';
    case 'timestamp with time zone':
      return (value instanceof Date && !Number.isNaN(value.getTime())) || (typeof value === 'string' && !Number.isNaN(Date.parse(value)))
        ? undefined
        : 'must be a valid Date (or an ISO 8601 string)';
    case 'bigint[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isSafeInteger(v))
        ? undefined
        : 'must be an array of whole numbers';
    case 'text[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : 'must be an array of strings';
    default:
      return undefined; // interval, jsonb…: the server checks them (a refusal still arrives as InvalidArgumentError)
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
  const mode = readMode(sql);
  checkArguments(fn, specs, args);
  const given = specs.filter((s) => args[s.key] !== undefined);
  const call = `${fn}(${given.map((s, i) => `${s.name} => $${i + 1}::${s.type}`).join(', ')})`;
  // A scalar function in FROM yields one column named by its alias: `from f(…) as value`.
  const text = `select ${result.select.join(', ')} from ${call}${result.shape === 'value' ? ' as value' : ''}`;
  try {
    // The server infers each parameter's type from its cast; the driver serialises by it (jsonb included).
    // Prepared: the text only varies with which optional arguments are given, so each connection
    // parses and plans a call once instead of every time.
    const rows = await runQuery(
      sql,
      mode,
      text,
      given.map((s) => args[s.key]),
      result.select,
      result.integers,
      true,
    );
    if (result.shape === 'value') return rows[0]?.value ?? null;
    return result.shape === 'row' ? (rows[0] ?? null) : rows;
  } catch (error) {
    throw toCreditsError(error, { arguments: specs, given });
  }
}

// Each option may be given as undefined (left out), as the generated Args are: an application
// compiled with exactOptionalPropertyTypes can pass a value it may not have.
export interface ViewQuery<Row> {
  /** Equality filters, by column; a column whose value is undefined is not filtered on. */
  where?: { [Column in keyof Row]?: Row[Column] | undefined } | undefined;
  orderBy?: (keyof Row & string) | undefined;
  descending?: boolean | undefined;
  limit?: number | undefined;
}

/**
 * Reads a view with equality filters, an order and a limit, on its known columns only
 * (`columns` maps each to its SQL type, so a filter compares in that type and can use an index).
 */
export async function readView<Row>(
  sql: Sql,
  view: string,
  columns: Readonly<Record<string, string>>,
  result: ResultSpec,
  query: ViewQuery<Row> = {},
): Promise<Row[]> {
  const check = (column: string) => {
    if (!Object.hasOwn(columns, column)) throw new RangeError(`${view} has no column ${column}`);
    return `"${column}"`;
  };
  const filters = Object.entries(query.where ?? {}).filter(([, v]) => v !== undefined);
  const where = filters.length ? ` where ${filters.map(([c], i) => `${check(c)} = $${i + 1}::${columns[c]}`).join(' and ')}` : '';
  const order = query.orderBy ? ` order by ${check(query.orderBy)}${query.descending ? ' desc' : ''}` : '';
  const limit = query.limit !== undefined ? ` limit ${Math.max(0, Math.floor(query.limit))}` : '';
  const values = filters.map(([, v]) => (v instanceof Date ? v.toISOString() : String(v)));
  const mode = readMode(sql);
  try {
    const text = `select ${result.select.join(', ')} from ${view}${where}${order}${limit}`;
    return (await runQuery(sql, mode, text, values, result.select, result.integers, false)) as Row[];
  } catch (error) {
    throw toCreditsError(error);
  }
}
