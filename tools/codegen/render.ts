// Renders the typed client from the catalog: one function per RPC function, a row type and a
// reader per monitoring view. Types per kind of value: tools/codegen/types.ts. A result field is
// `T | null` unless the definition's header says "Never null" for it (annotations.ts).
import type { CatalogFunction, CatalogView } from './introspect.js';
import { camel, doc, mapping, neverNullColumns, pascal, quote } from './types.js';

interface Column {
  name: string;
  type: string;
}

function resultSpec(columns: Column[], where: string) {
  const select = columns.map((c) => (mapping(c.type, where).select ?? ((x: string) => x))(c.name));
  const integers = columns.filter((c) => mapping(c.type, where).integer).map((c) => c.name);
  return `{ select: [${select.map(quote).join(', ')}], integers: [${integers.map(quote).join(', ')}] }`;
}

function fields(columns: Column[], nonNull: Set<string>, where: string) {
  return columns.map((c) => `  ${c.name}: ${mapping(c.type, `${where} ${c.name}`).ts}${nonNull.has(c.name) ? '' : ' | null'};`).join('\n');
}

/** The function's outputs (OUT, INOUT, TABLE columns). */
export const outputsOf = (f: CatalogFunction) => f.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
export const inputsOf = (f: CatalogFunction) => f.args.filter((a) => a.mode === 'i' || a.mode === 'b');

function renderFunction(f: CatalogFunction): string {
  const where = `${f.schema}.${f.name}`;
  const fnName = f.schema === 'public' ? camel(f.name) : camel(`${f.schema}_${f.name}`);
  const base = pascal(f.schema === 'public' ? f.name : `${f.schema}_${f.name}`);
  const inputs = inputsOf(f);
  const outputs = outputsOf(f);
  const firstOptional = inputs.length - f.defaults;
  const key = (a: { name: string }) => camel(a.name.replace(/^p_/, ''));
  for (const name of f.annotations.nullArguments)
    if (!inputs.some((a) => a.name === name))
      throw new Error(`codegen: ${where}'s header says "Null arguments: ${name}", which it does not take`);
  const argType = (a: Column) => {
    const m = mapping(a.type, `${where} ${a.name}`);
    return `${m.arg ?? m.ts}${f.annotations.nullArguments.includes(a.name) ? ' | null' : ''}`;
  };

  // An optional argument may be given as undefined (the call leaves it out): an application
  // compiled with exactOptionalPropertyTypes can pass a value it may not have.
  const argsType = inputs.length
    ? `export interface ${base}Args {\n${inputs.map((a, i) => `  ${key(a)}${i >= firstOptional ? `?: ${argType(a)} | undefined` : `: ${argType(a)}`};`).join('\n')}\n}\n`
    : '';
  const specs = `[${inputs.map((a, i) => `{ name: ${quote(a.name)}, key: ${quote(key(a))}, type: ${quote(a.type)}${i < firstOptional ? ', required: true' : ''} }`).join(', ')}]`;
  const argParam = inputs.length ? `args: ${base}Args${firstOptional === 0 ? ' = {}' : ''}` : 'args: Record<string, never> = {}';

  if (outputs.length === 0) {
    if (f.returnsSet) throw new Error(`codegen: ${where} returns a set of scalars; not supported`);
    const nonNull = neverNullColumns(f.annotations, ['the result'], where).has('the result');
    const m = mapping(f.returnType, `${where} result`);
    if (f.annotations.documentType && f.returnType !== 'jsonb')
      throw new Error(`codegen: ${where} has a document type but returns ${f.returnType}`);
    const ts = `${f.annotations.documentType ?? m.ts}${nonNull ? '' : ' | null'}`;
    const spec = `{ shape: 'value', select: [${quote((m.select ?? ((x: string) => x))('value'))}], integers: [${m.integer ? "'value'" : ''}] }`;
    return `${argsType}${doc(f.comment)}export function ${fnName}(sql: Sql, ${argParam}): Promise<${ts}> {
  return callFunction(sql, ${quote(where)}, ${specs}, args, ${spec}) as Promise<${ts}>;
}
`;
  }
  const nonNull = neverNullColumns(
    f.annotations,
    outputs.map((o) => o.name),
    where,
  );
  const resultType = `export interface ${base}Result {\n${fields(outputs, nonNull, where)}\n}\n`;
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
  const nonNull = neverNullColumns(
    v.annotations,
    v.columns.map((c) => c.name),
    where,
  );
  const rowType = `${doc(v.comment)}export interface ${base}Row {\n${fields(v.columns, nonNull, where)}\n}\n`;
  const columns = `{ ${v.columns.map((c) => `${c.name}: ${quote(c.type)}`).join(', ')} }`;
  return `${rowType}${doc(v.comment ? `Reads ${where}: ${v.comment}` : `Reads ${where}.`)}export function read${base}(sql: Sql, query?: ViewQuery<${base}Row>): Promise<${base}Row[]> {
  return readView<${base}Row>(sql, ${quote(where)}, ${columns}, ${resultSpec(v.columns, where)}, query);
}
`;
}

export function checkNoOverloads(functions: CatalogFunction[]) {
  const overloaded = functions.filter((f, i, all) => all.findIndex((g) => g.schema === f.schema && g.name === f.name) !== i);
  if (overloaded.length)
    throw new Error(
      `codegen: overloaded functions are not supported (PostgREST serves one signature): ${overloaded.map((f) => f.name).join(', ')}`,
    );
}

export function renderClient(catalog: { functions: CatalogFunction[]; views: CatalogView[] }): string {
  checkNoOverloads(catalog.functions);
  const documents = [...new Set(catalog.functions.map((f) => f.annotations.documentType).filter((t): t is string => !!t))].sort();
  return [
    '// Auto-generated by `npm run codegen` from the catalog of a database migrated to the latest',
    '// version of this package. Do not edit: change the SQL, migrate, and run `npm run codegen`.',
    "import { callFunction, readView, type Decimal, type JsonValue, type Sql, type Timestamp, type ViewQuery } from '../client/runtime.js';",
    ...(documents.length ? [`import type { ${documents.join(', ')} } from '../client/documents.js';`] : []),
    '',
    'export type { Decimal, JsonValue, Sql, Timestamp, ViewQuery };',
    '',
    '// ---- functions ----',
    '',
    ...catalog.functions.map(renderFunction),
    '// ---- monitoring views ----',
    '',
    ...catalog.views.filter((v) => v.schema === 'monitoring').map(renderView),
  ].join('\n');
}
