-- Demo data: what the platform pays WaveSpeed per prediction, by model path (idempotent). The
-- fake provider of the demo charges the same (demo/main.ts).
insert into public.provider_prices (provider, model, cost_usd, effective_from) values
  ('wavespeed', 'google/nano-banana/edit', 0.0390, '2026-01-01'),
  ('wavespeed', 'google/nano-banana-pro/edit', 0.1390, '2026-01-01'),
  ('wavespeed', 'bytedance/seedream-v4', 0.0270, '2026-01-01')
on conflict do nothing;

-- Low-balance thresholds per tier: a charge that takes a balance below one writes a low-balance
-- event (credits_private.credit_events) that the demo's consumer claims and completes.
update public.credit_tiers t set low_balance_threshold = v.threshold
  from (values ('free', 3), ('basic', 20), ('pro', 50)) v (tier, threshold)
 where t.tier = v.tier;
