-- unmatched_provider_results: results a provider reported for jobs no task recorded, more than
-- 10 minutes ago (a submission recorded since would have applied them). The usual cause: the
-- answer to a submission was lost (a timeout), the user was refunded, and the provider generated
-- the image all the same. A completed one is spend without a task: cost_usd is the cost reported,
-- else the price in effect for its model (the payload's `model`) when it arrived
-- (credits_private.provider_price_ranges; a price per unit times the units the result reported,
-- contract §11), null when no price is known; a failed one cost nothing (cost_usd null).
-- Never null: provider, external_task_id, status, received_at.
create or replace view monitoring.unmatched_provider_results as
select r.provider,
       r.external_task_id,
       r.status,
       r.payload ->> 'model' as model,
       coalesce(r.provider_cost_usd,
         case when r.status = 'completed' then
           (select p.cost_usd * case when p.unit is null then 1 else r.provider_units end
              from credits_private.provider_price_ranges p
             where p.provider = r.provider and p.model = r.payload ->> 'model' and p.in_effect @> r.received_at) end) as cost_usd,
       r.received_at
  from credits_private.provider_results r
 where r.applied_at is null and r.received_at < now() - interval '10 minutes';

comment on view monitoring.unmatched_provider_results is
  'Provider results for jobs no task recorded (a lost submission answer): spend without a task.';
revoke all on monitoring.unmatched_provider_results from public;
grant select on monitoring.unmatched_provider_results to credits_analyst;
