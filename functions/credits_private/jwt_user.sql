-- jwt_user: the calling end user's id, the JWT claim 'sub' that PostgREST puts in
-- request.jwt.claims; the one place the my_* functions read it.
-- Errors: 42501 when the request carries no user id (no claims, claims that are not JSON, a
-- 'sub' that is not a uuid).
create or replace function credits_private.jwt_user()
returns uuid
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
declare
  v_sub text;
begin
  begin
    v_sub := nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
  exception when invalid_text_representation then
    v_sub := null; -- claims that are not JSON name no user: 42501 below, not a parse error
  end;
  if v_sub is null or v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    raise exception using errcode = '42501',
      message = 'no authenticated user',
      detail = format('request.jwt.claims carries sub %s.', coalesce(quote_literal(v_sub), 'null')),
      hint = 'Call this function with a user''s JWT (role authenticated).';
  end if;
  return v_sub::uuid;
end;
$$;

comment on function credits_private.jwt_user() is 'The calling end user''s id, from the JWT claim sub; 42501 without one.';
revoke all on function credits_private.jwt_user() from public;
