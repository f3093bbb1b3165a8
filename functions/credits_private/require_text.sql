-- require_text: refuses (CR003) a null, blank or oversized text argument. Blank means empty or
-- only Unicode White_Space (tab to carriage return, space, U+0085, U+00A0, U+1680, U+2000-U+200A,
-- U+2028, U+2029, U+202F, U+205F, U+3000) and the invisible U+200B-U+200D, U+2060 and U+FEFF: the
-- one set every blank check of the package trims (the inline copies in start_generation and the
-- others are pinned to this one by tests/hostile-arguments.test.ts).
-- Arguments: p_name, the argument's name for the message; p_value; p_max_length in characters.
-- Errors: CR003.
create or replace function credits_private.require_text(p_name text, p_value text, p_max_length integer)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value is null or btrim(p_value, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') = '' then
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
