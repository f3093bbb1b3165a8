// Reads what the generated files need from pg_catalog: the package's functions and procedures
// (those its deploy recorded in credits_meta.definitions, in schemas public and monitoring) and
// views (monitoring's, and the end users' views in public), with argument modes, types, defaults,
// comments, security and who may call or read them. What the catalog cannot say (which results
// are never null) comes from the definitions' headers (annotations.ts).
import type postgres from 'postgres';
import { readAnnotations, type Annotations } from './annotations.js';

/** The roles whose rights the catalog reports (callers, readers), in this order. */
export const rightsRoles = ['credits_service', 'credits_analyst', 'authenticated'];

export interface CatalogFunction {
  /** Its definition file, relative to the package root. */
  file: string;
  schema: string;
  name: string;
  /** f: a function; p: a procedure (CALLed by schedulers, not in the client). */
  kind: 'f' | 'p';
  securityDefiner: boolean;
  /** The input arguments as the catalog prints them, defaults included (pg_get_function_arguments). */
  argumentText: string;
  /** Which of rightsRoles may execute it. */
  callers: string[];
  comment: string | null;
  returnsSet: boolean;
  returnType: string;
  volatility: 'i' | 's' | 'v';
  /** In order; mode i (in), o (out), t (table column), b (inout), v (variadic). */
  args: { name: string; mode: string; type: string }[];
  /** How many trailing input arguments have defaults. */
  defaults: number;
  annotations: Annotations;
}

export interface CatalogView {
  file: string;
  schema: string;
  name: string;
  /** Which of rightsRoles may read it (the whole view or some of its columns). */
  readers: string[];
  comment: string | null;
  columns: { name: string; type: string }[];
  annotations: Annotations;
}

export interface Catalog {
  functions: CatalogFunction[];
  procedures: CatalogFunction[];
  views: CatalogView[];
}

export async function introspect(sql: postgres.Sql): Promise<Catalog> {
  const functions = await sql<
    {
      schema: string;
      name: string;
      comment: string | null;
      returns_set: boolean;
      return_type: string;
      volatility: 'i' | 's' | 'v';
      arg_names: string[];
      arg_modes: string[];
      arg_types: string[];
      defaults: number;
      file: string;
      kind: 'f' | 'p';
      definer: boolean;
      argument_text: string;
      callers: string[];
    }[]
  >`
    select d.name as file, n.nspname as schema, p.proname as name, obj_description(p.oid, 'pg_proc') as comment,
           p.prokind as kind, p.prosecdef as definer, pg_get_function_arguments(p.oid) as argument_text,
           array(select r from unnest(${rightsRoles}::text[]) with ordinality u(r, o)
                  where has_function_privilege(r, p.oid, 'execute') order by o) as callers,
           p.proretset as returns_set, format_type(p.prorettype, null) as return_type, p.provolatile as volatility,
           coalesce(p.proargnames, '{}') || coalesce(composite.names, '{}') as arg_names,
           coalesce(p.proargmodes::text[], array_fill('i'::text, array[p.pronargs::int])) || coalesce(composite.modes, '{}') as arg_modes,
           array(select format_type(t.oid, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality t(oid, i) order by t.i)
             || coalesce(composite.types, '{}') as arg_types,
           p.pronargdefaults::int as defaults
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join credits_meta.definitions d on d.kind = 'function' and d.schema = n.nspname and d.object = p.proname
      -- a function returning a composite type (public.credit_balance): its attributes are its output columns
      left join lateral (
        select array_agg(a.attname::text order by a.attnum) as names, array_agg('o'::text order by a.attnum) as modes,
               array_agg(format_type(a.atttypid, null) order by a.attnum) as types
          from pg_type ty join pg_attribute a on a.attrelid = ty.typrelid and a.attnum > 0 and not a.attisdropped
         where ty.oid = p.prorettype and ty.typtype = 'c' and p.proargmodes is null
      ) composite on true
     where n.nspname in ('public', 'monitoring') and p.prokind in ('f', 'p')
     order by n.nspname, p.proname, p.oid`;
  const viewColumns = await sql<
    { schema: string; name: string; comment: string | null; column: string; type: string; file: string; readers: string[] }[]
  >`
    select d.name as file, n.nspname as schema, c.relname as name, obj_description(c.oid, 'pg_class') as comment,
           array(select r from unnest(${rightsRoles}::text[]) with ordinality u(r, o)
                  where has_table_privilege(r, c.oid, 'select') or has_any_column_privilege(r, c.oid, 'select') order by o) as readers,
           a.attname as column, format_type(a.atttypid, a.atttypmod) as type
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join credits_meta.definitions d on d.kind = 'view' and d.schema = n.nspname and d.object = c.relname
     where n.nspname in ('monitoring', 'public') and c.relkind = 'v'
     order by n.nspname, c.relname, a.attnum`;

  const views = new Map<string, CatalogView>();
  for (const row of viewColumns) {
    const key = `${row.schema}.${row.name}`;
    const view = views.get(key) ?? {
      file: row.file,
      schema: row.schema,
      name: row.name,
      readers: row.readers,
      comment: row.comment,
      columns: [],
      annotations: await readAnnotations(row.file),
    };
    view.columns.push({ name: row.column, type: row.type });
    views.set(key, view);
  }
  const routines = await Promise.all(
    functions.map(
      async (f): Promise<CatalogFunction> => ({
        file: f.file,
        schema: f.schema,
        name: f.name,
        kind: f.kind,
        securityDefiner: f.definer,
        argumentText: f.argument_text,
        callers: f.callers,
        comment: f.comment,
        returnsSet: f.returns_set,
        returnType: f.return_type,
        volatility: f.volatility,
        args: f.arg_types.map((type, i) => ({ name: f.arg_names[i] ?? `arg${i + 1}`, mode: f.arg_modes[i] ?? 'i', type })),
        defaults: f.defaults,
        annotations: await readAnnotations(f.file),
      }),
    ),
  );
  return {
    functions: routines.filter((r) => r.kind === 'f'),
    procedures: routines.filter((r) => r.kind === 'p'),
    views: [...views.values()],
  };
}
