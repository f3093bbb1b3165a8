-- Up Migration
-- Reading grants and past balances (issue 29, contract §13). A promotional grant gains an
-- optional user-facing label (grant_promotional_credits' p_label), what promotional_grants and
-- my_promotional_grants show end users; the operator's reason stays internal. Reading a balance
-- at an instant (credit_balance_at) needs no new column: the ledger's rows and their parts are
-- it, one account's rows read through credit_transactions_user_id_created_at_idx.
alter table credits_private.promotional_lots add column label text;
comment on column credits_private.promotional_lots.label is
  'What end users see of the grant (null: none); its reason stays internal.';

-- Up again after a down: what the down kept comes back.
do $$
begin
  if to_regclass('archive.m0031_labels') is not null then
    update credits_private.promotional_lots l set label = a.label from archive.m0031_labels a where a.id = l.id;
    drop table archive.m0031_labels;
  end if;
end;
$$;

-- Down Migration
-- The deploy drops every definition before migrations run down. The grants' labels are kept in
-- archive and come back with the next up.
create schema if not exists archive;
drop table if exists archive.m0031_labels;
create table archive.m0031_labels as select id, label from credits_private.promotional_lots where label is not null;
alter table credits_private.promotional_lots drop column label;
