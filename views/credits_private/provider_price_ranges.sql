-- provider_price_ranges: each price of public.provider_prices with the time it is in effect: from
-- its effective_from until the model's next price takes over (open-ended for the latest). The
-- price of a call at time t is the row whose in_effect contains t: `in_effect @> t`. The one
-- definition of "the price in effect", read by complete_generation (a completion reported
-- without a cost, a late success) and monitoring.unmatched_provider_results. unit: null, cost_usd
-- is per generation; else per unit the provider reports (complete_generation's p_provider_units).
create or replace view credits_private.provider_price_ranges as
select p.provider,
       p.model,
       p.cost_usd,
       tstzrange(p.effective_from,
                 lead(p.effective_from) over (partition by p.provider, p.model order by p.effective_from)) as in_effect,
       p.unit
  from public.provider_prices p;

comment on view credits_private.provider_price_ranges is
  'Each provider price with the range of time it is in effect (until the model''s next price).';
revoke all on credits_private.provider_price_ranges from public;
