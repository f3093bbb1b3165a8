-- Up Migration
-- The balance result shows the low-balance threshold in effect (issue 15): an application can
-- show "low" at the point where an event will fire. The functions returning it are definitions,
-- applied after this.
alter type public.credit_balance add attribute low_balance_threshold integer;

-- Down Migration
-- The deploy drops every definition before migrations run down, so nothing returns it here.
alter type public.credit_balance drop attribute low_balance_threshold;
