-- import_rows: the rows of import p_import_id waiting in credits_private.credit_import_rows, read
-- into their types: a value that does not parse is null here (import_problems names it). An
-- empty amount is 0. The expiry must be ISO 8601 (2027-03-01, 2027-03-01T12:00:00Z,
-- …+01:00), read in UTC when it names no offset, whatever the session's TimeZone.
create or replace function credits_private.import_rows(p_import_id text)
returns table (line bigint, user_id uuid, tier text, monthly bigint, purchased bigint, promotional bigint,
               promotional_expires_at timestamptz, promotional_reason text)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select r.line,
         case when btrim(r.user_id) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then btrim(r.user_id)::uuid end,
         nullif(btrim(r.tier), ''),
         case when coalesce(btrim(r.monthly), '') = '' then 0 when btrim(r.monthly) ~ '^-?[0-9]{1,15}$' then btrim(r.monthly)::bigint end,
         case when coalesce(btrim(r.purchased), '') = '' then 0 when btrim(r.purchased) ~ '^-?[0-9]{1,15}$' then btrim(r.purchased)::bigint end,
         case when coalesce(btrim(r.promotional), '') = '' then 0 when btrim(r.promotional) ~ '^-?[0-9]{1,15}$' then btrim(r.promotional)::bigint end,
         credits_private.import_time(r.promotional_expires_at),
         nullif(btrim(r.promotional_reason), '')
    from credits_private.credit_import_rows r
   where r.import_id = p_import_id;
$$;

comment on function credits_private.import_rows(text) is 'The rows an import is reading, in their types (null: does not parse).';
revoke all on function credits_private.import_rows(text) from public;
