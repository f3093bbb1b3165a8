-- Demo data: what the platform pays WaveSpeed per prediction, by model path (idempotent); a video
-- model by the second of video, a batch model by the image delivered (unit). The fake provider
-- of the demo charges the same (demo/main.ts).
insert into public.provider_prices (provider, model, cost_usd, effective_from, unit) values
  ('wavespeed', 'google/nano-banana/edit', 0.0390, '2026-01-01', null),
  ('wavespeed', 'google/nano-banana-pro/edit', 0.1390, '2026-01-01', null),
  ('wavespeed', 'bytedance/seedream-v4', 0.0270, '2026-01-01', null),
  ('wavespeed', 'kwaivgi/kling-v2.1-i2v-pro', 0.0560, '2026-01-01', 'second'),
  ('wavespeed', 'google/nano-banana/text-to-image', 0.0390, '2026-01-01', 'output')
on conflict do nothing;

-- Low-balance thresholds per tier: a charge that takes a balance below one writes a low-balance
-- event (credits_private.credit_events) that the demo's consumer claims and completes.
update public.credit_tiers t set low_balance_threshold = v.threshold
  from (values ('free', 3), ('basic', 20), ('pro', 50)) v (tier, threshold)
 where t.tier = v.tier;
