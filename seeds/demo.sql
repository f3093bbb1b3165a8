-- Demo data: what the platform pays per call, by provider and model (idempotent).
insert into public.provider_prices (provider, model, cost_usd, effective_from) values
  ('wavespeed', 'nano-banana', 0.0390, '2026-01-01'),
  ('wavespeed', 'nano-banana-pro', 0.1390, '2026-01-01'),
  ('wavespeed', 'seedream-v4', 0.0270, '2026-01-01'),
  ('nanobanana', 'nano-banana', 0.0350, '2026-01-01')
on conflict do nothing;
