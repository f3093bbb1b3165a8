-- Up Migration
-- monitoring.rollup_state's count of the last refresh is the rows it wrote, not "keys": named so
-- (issue 14). Only the refresh writes it.
alter table monitoring.rollup_state rename column keys_refreshed to rows_written;
comment on column monitoring.rollup_state.rows_written is 'Rows the last refresh wrote into the rollups.';

-- Down Migration
comment on column monitoring.rollup_state.rows_written is null;
alter table monitoring.rollup_state rename column rows_written to keys_refreshed;
