-- require_text: refuses (CR003) a null, blank or oversized text argument. Blank means empty or
-- only ASCII whitespace (space, tab, newline, carriage return, form feed, vertical tab): the same
-- set the functions' inline checks trim, btrim(x, E' \t\n\r\f\x0B').
-- Arguments: p_name, the argument's name for the message; p_value; p_max_length in characters.
-- Errors: CR003.
create or replace function credits_private.require_text(p_name text, p_value text, p_max_length integer)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value is null or btrim(p_value, E' \t\n\r\f\x0B') = '' then
    raise exception using errcode = 'CR003',
      message = format('%s is required', p_name),
      detail = format('%s was %s.', p_name, coalesce(quote_literal(p_value), 'null')),
      hint = format('Pass a non-empty %s.', p_name);
  end if;
  if length(p_value) > p_max_length then
    raise exception using errcode = 'CR003',
      message = format('%s is too long', p_name),
      detail = format('%s has %s characters; at most %s are accepted.', p_name, length(p_value), p_max_length),
      hint = format('Shorten %s.', p_name);
  end if;
end;
$$;

comment on function credits_private.require_text(text, text, integer) is
  'Raises CR003 when a text argument is null, blank or longer than allowed.';
revoke all on function credits_private.require_text(text, text, integer) from public;
