-- Up Migration
-- Opening balances imported from another system (issue 23, `credits import`): one row per
-- account and import, the figures it brought. The import id makes an import idempotent: the
-- same user again with the same figures is skipped, with other figures refused. The ledger rows
-- an import writes are ordinary 'adjustment' rows (origin 'adoption', the import id in their
-- description); promotional credits are lots, as grant_promotional_credits makes them.
create table credits_private.credit_imports (
  import_id text not null constraint credit_imports_import_id_check check (length(import_id) between 1 and 200),
  user_id uuid not null,
  tier text not null,
  monthly_credits bigint not null,
  purchased_credits bigint not null,
  promotional_credits bigint not null,
  promotional_expires_at timestamptz,
  reason text not null,
  imported_at timestamptz not null default now(),
  constraint credit_imports_pkey primary key (import_id, user_id),
  constraint credit_imports_amounts_check check (least(monthly_credits, purchased_credits, promotional_credits) >= 0)
);
comment on table credits_private.credit_imports is
  'Opening balances imported by credits import: one row per import id and account, the figures it brought.';
revoke all on credits_private.credit_imports from public;

-- Where `credits import` puts the rows it reads (COPY), in the transaction that imports them and
-- deletes them again: nothing stays once it commits or rolls back. Unlogged: it never outlives
-- its transaction, so it needs no WAL. Text as read: credits_private.import_problems says what
-- does not parse, line by line, instead of one cast failing the whole COPY.
create unlogged table credits_private.credit_import_rows (
  import_id text not null,
  line bigint not null,
  user_id text,
  tier text,
  monthly text,
  purchased text,
  promotional text,
  promotional_expires_at text,
  promotional_reason text
);
comment on table credits_private.credit_import_rows is
  'Rows credits import is reading, within its transaction (deleted before it commits).';
revoke all on credits_private.credit_import_rows from public;

-- A rolled-back import's record comes back with the migration (its ledger rows never left).
do $$
begin
  if to_regclass('archive.m0026_credit_imports') is not null then
    insert into credits_private.credit_imports select * from archive.m0026_credit_imports;
    drop table archive.m0026_credit_imports;
  end if;
end;
$$;

-- Down Migration
-- Kept in archive: which imports ran and what they brought (the ledger rows and the balances
-- they made stay where they are; only the idempotency record leaves the schema).
create schema if not exists archive;
drop table if exists archive.m0026_credit_imports;
create table archive.m0026_credit_imports as select * from credits_private.credit_imports;
drop table credits_private.credit_imports, credits_private.credit_import_rows;
