// Renders the typed client from the catalog. Type mapping (docs/client.md):
//   uuid, text → string          integer, smallint → number     boolean → boolean
//   bigint → bigint (selected as text, then BigInt: no 2^53 limit)
//   numeric → Decimal, an exact decimal string (selected as text: money never becomes a float)
//   timestamptz → Date           date, interval → string ('2026-11-01', '00:30:00')
//   jsonb → JsonValue            uuid[] → string[]
// Result fields are `T | null`: the catalog cannot prove a function's output column non-null.
import type { CatalogFunction, CatalogView } from './introspect.js';

interface TypeMapping {
  ts: string;
  /** How the column is selected so that its value stays exact. */
  select?: (column: string) => string;
  bigint?: boolean;
}

const asText = (column: string) => `${column}::text as ${column}`;
const mappings: Record<string, TypeMapping> = {
  uuid: { ts: 'string' },
  text: { ts: 'string' },
  'character varying': { ts: 'string' },
  integer: { ts: 'number' },
  smallint: { ts: 'number' },
  bigint: { ts: 'bigint', select: asText, bigint: true },
  numeric: { ts: 'Decimal', select: asText },
  boolean: { ts: 'boolean' },
  'timestamp with time zone': { ts: 'Date' },
  date: { ts: 'string', select: asText },
  interval: { ts: 'string', select: asText },
  jsonb: { ts: 'JsonValue' },
  'uuid[]': { ts: 'string[]' },
};

function mapping(sqlType: string, where: string): TypeMapping {
  const found = mappings[sqlType.replace(/\(.*\)$/, '')];
  if (!found) throw new Error(`codegen: no TypeScript mapping for SQL type "${sqlType}" (${where}); add one in src/codegen/render.ts`);
  return found;
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (name: string) => camel(name).replace(/^./, (c) => c.toUpperCase());
const doc = (comment: string | null, indent = '') => (comment ? `${indent}/** ${comment.replace(/\*\//g, '*\\/')} */\n` : '');
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function resultSpec(columns: { name: string; type: string }[], where: string) {
  const select = columns.map((c) => (mapping(c.type, where).select ?? ((x: string) => x))(c.name));
  const bigints = columns.filter((c) => mapping(c.type, where).bigint).map((c) => c.name);
  return `{ select: [${select.map(quote).join(', ')}], bigints: [${bigints.map(quote).join(', ')}] }`;
}

function renderFunction(f: CatalogFunction): string {
  const where = `${f.schema}.${f.name}`;
  const fnName = f.schema === 'public' ? camel(f.name) : camel(`${f.schema}_${f.name}`);
  const base = pascal(f.schema === 'public' ? f.name : `${f.schema}_${f.name}`);
  const inputs = f.args.filter((a) => a.mode === 'i' || a.mode === 'b');
  const outputs = f.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
  const firstOptional = inputs.length - f.defaults;
  const key = (a: { name: string }) => camel(a.name.replace(/^p_/, ''));

  const argsType = inputs.length
    ? `export interface ${base}Args {\n${inputs
        .map((a, i) => `  ${key(a)}${i >= firstOptional ? '?' : ''}: ${mapping(a.type, `${where} ${a.name}`).ts};`)
        .join('\n')}\n}\n`
    : '';
  const specs = `[${inputs.map((a, i) => `{ name: ${quote(a.name)}, key: ${quote(key(a))}, type: ${quote(a.type)}${i < firstOptional ? ', required: true' : ''} }`).join(', ')}]`;
  const argParam = inputs.length ? `args: ${base}Args${firstOptional === 0 ? ' = {}' : ''}` : 'args: Record<string, never> = {}';

  if (outputs.length === 0) {
    if (f.returnsSet) throw new Error(`codegen: ${where} returns a set of scalars; not supported`);
    const ts = mapping(f.returnType, `${where} result`).ts;
    return `${argsType}${doc(f.comment)}export function ${fnName}(sql: Sql, ${argParam}): Promise<${ts} | null> {
  return callFunction(sql, ${quote(where)}, ${specs}, args, { shape: 'value', select: [], bigints: [] }) as Promise<${ts} | null>;
}
`;
  }
  const resultType = `export interface ${base}Result {\n${outputs
    .map((a) => `  ${a.name}: ${mapping(a.type, `${where} ${a.name}`).ts} | null;`)
    .join('\n')}\n}\n`;
  const shape = f.returnsSet ? 'rows' : 'row';
  const returns = f.returnsSet ? `${base}Result[]` : `${base}Result`;
  const spec = resultSpec(outputs, where).replace(/^\{ /, `{ shape: '${shape}', `);
  return `${argsType}${resultType}${doc(f.comment)}export function ${fnName}(sql: Sql, ${argParam}): Promise<${returns}> {
  return callFunction(sql, ${quote(where)}, ${specs}, args, ${spec}) as Promise<${returns}>;
}
`;
}

function renderView(v: CatalogView): string {
  const where = `${v.schema}.${v.name}`;
  const base = pascal(`${v.schema}_${v.name}`);
  const rowType = `${doc(v.comment)}export interface ${base}Row {\n${v.columns
    .map((c) => `  ${c.name}: ${mapping(c.type, `${where}.${c.name}`).ts} | null;`)
    .join('\n')}\n}\n`;
  const columns = `{ ${v.columns.map((c) => `${c.name}: ${quote(c.type)}`).join(', ')} }`;
  return `${rowType}${doc(v.comment ? `Reads ${where}: ${v.comment}` : `Reads ${where}.`)}export function read${base}(sql: Sql, query?: ViewQuery<${base}Row>): Promise<${base}Row[]> {
  return readView<${base}Row>(sql, ${quote(where)}, ${columns}, ${resultSpec(v.columns, where)}, query);
}
`;
}

export function renderClient(catalog: { functions: CatalogFunction[]; views: CatalogView[] }): string {
  const overloaded = catalog.functions.filter((f, i, all) => all.findIndex((g) => g.schema === f.schema && g.name === f.name) !== i);
  if (overloaded.length) throw new Error(`codegen: overloaded functions are not supported (PostgREST serves one signature): ${overloaded.map((f) => f.name).join(', ')}`);
  return [
    '// Auto-generated by `npm run codegen` from the catalog of a database migrated to the latest',
    '// version of this package. Do not edit: change the SQL, migrate, and run `npm run codegen`.',
    "import { callFunction, readView, type Decimal, type JsonValue, type Sql, type ViewQuery } from '../client/runtime.js';",
    '',
    'export type { Decimal, JsonValue, Sql, ViewQuery };',
    '',
    '// ---- functions ----',
    '',
    ...catalog.functions.map(renderFunction),
    '// ---- monitoring views ----',
    '',
    ...catalog.views.map(renderView),
  ].join('\n');
}
