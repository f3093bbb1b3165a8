// Reads what the generated client needs from pg_catalog: the package's functions (those its
// deploy recorded in credits_meta.definitions, in schemas public and monitoring) and the
// monitoring views, with argument modes, types, defaults and comments. No SQL file is parsed.
import type postgres from 'postgres';

export interface CatalogFunction {
  schema: string;
  name: string;
  comment: string | null;
  returnsSet: boolean;
  returnType: string;
  volatility: 'i' | 's' | 'v';
  /** In order; mode i (in), o (out), t (table column), b (inout), v (variadic). */
  args: { name: string; mode: string; type: string }[];
  /** How many trailing input arguments have defaults. */
  defaults: number;
}

export interface CatalogView {
  schema: string;
  name: string;
  comment: string | null;
  columns: { name: string; type: string }[];
}

export async function introspect(sql: postgres.Sql): Promise<{ functions: CatalogFunction[]; views: CatalogView[] }> {
  const functions = await sql<{ schema: string; name: string; comment: string | null; returns_set: boolean; return_type: string;
    volatility: 'i' | 's' | 'v'; arg_names: string[]; arg_modes: string[]; arg_types: string[]; defaults: number }[]>`
    select n.nspname as schema, p.proname as name, obj_description(p.oid, 'pg_proc') as comment,
           p.proretset as returns_set, format_type(p.prorettype, null) as return_type, p.provolatile as volatility,
           coalesce(p.proargnames, '{}') as arg_names,
           coalesce(p.proargmodes::text[], array_fill('i'::text, array[p.pronargs::int])) as arg_modes,
           array(select format_type(t.oid, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality t(oid, i) order by t.i) as arg_types,
           p.pronargdefaults::int as defaults
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join credits_meta.definitions d
        on d.kind = 'function'
       and d.name = case n.nspname when 'public' then 'functions/' || p.proname || '.sql'
                                   else 'functions/' || n.nspname || '/' || p.proname || '.sql' end
     where n.nspname in ('public', 'monitoring') and p.prokind = 'f'  -- procedures are no RPC (PostgREST serves functions only)
     order by n.nspname, p.proname, p.oid`;
  const viewColumns = await sql<{ schema: string; name: string; comment: string | null; column: string; type: string }[]>`
    select n.nspname as schema, c.relname as name, obj_description(c.oid, 'pg_class') as comment,
           a.attname as column, format_type(a.atttypid, a.atttypmod) as type
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where n.nspname = 'monitoring' and c.relkind = 'v'
     order by c.relname, a.attnum`;

  const views = new Map<string, CatalogView>();
  for (const row of viewColumns) {
    const view = views.get(row.name) ?? { schema: row.schema, name: row.name, comment: row.comment, columns: [] };
    view.columns.push({ name: row.column, type: row.type });
    views.set(row.name, view);
  }
  return {
    functions: functions.map((f) => ({
      schema: f.schema,
      name: f.name,
      comment: f.comment,
      returnsSet: f.returns_set,
      returnType: f.return_type,
      volatility: f.volatility,
      args: f.arg_types.map((type, i) => ({ name: f.arg_names[i] ?? `arg${i + 1}`, mode: f.arg_modes[i] ?? 'i', type })),
      defaults: f.defaults,
    })),
    views: [...views.values()],
  };
}
