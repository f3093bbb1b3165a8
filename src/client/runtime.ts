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
}

export interface ResultSpec {
  /** Columns selected, each with the cast that keeps it exact (e.g. "balance", "cost_usd::text as cost_usd"). */
  select: string[];
  /** Columns that arrive as text and become BigInt. */
  bigints: string[];
}

function convert(row: Record<string, unknown>, bigints: string[]): Record<string, unknown> {
  for (const column of bigints) if (row[column] !== null && row[column] !== undefined) row[column] = BigInt(row[column] as string);
  return row;
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
  const given = specs.filter((s) => args[s.key] !== undefined);
  const call = `${fn}(${given.map((s, i) => `${s.name} => $${i + 1}::${s.type}`).join(', ')})`;
  const text = result.shape === 'value' ? `select ${call} as value` : `select ${result.select.join(', ')} from ${call}`;
  try {
    // The server infers each parameter's type from its cast; the driver serialises by it (jsonb included).
    // Prepared: the text only varies with which optional arguments are given, so each connection
    // parses and plans a call once instead of every time.
    const rows = await sql.unsafe(text, given.map((s) => args[s.key]) as postgres.ParameterOrJSON<never>[], { prepare: true });
    if (result.shape === 'value') return rows[0]?.value ?? null;
    const converted = rows.map((row) => convert({ ...row }, result.bigints));
    return result.shape === 'row' ? converted[0] ?? null : converted;
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
  try {
    const rows = await sql.unsafe(`select ${result.select.join(', ')} from ${view}${where}${order}${limit}`, values);
    return rows.map((row) => convert({ ...row }, result.bigints) as Row);
  } catch (error) {
    throw toCreditsError(error);
  }
}
