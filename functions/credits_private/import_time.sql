-- import_time: an import's expiry, ISO 8601 only (a date, or a date and time with Z or an
-- offset; without one, UTC): null when the text is empty, is not that shape, or names no such
-- instant (2027-02-30). Strict, so that a file reads the same from any machine.
create or replace function credits_private.import_time(p_text text)
returns timestamptz
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
set timezone to 'UTC'
as $$
begin
  if p_text is null or btrim(p_text) !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$' then
    return null;
  end if;
  return btrim(p_text)::timestamptz;
exception when datetime_field_overflow or invalid_datetime_format or data_exception then
  return null;
end;
$$;

comment on function credits_private.import_time(text) is 'An import''s expiry from ISO 8601 text, in UTC when no offset; null when it does not parse.';
revoke all on function credits_private.import_time(text) from public;
