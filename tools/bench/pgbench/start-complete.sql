\set u random(1, :users)
select task_id from start_generation(md5('bench-' || :u)::uuid, 'enhance', 'wavespeed', 'nano-banana', 2) \gset
select 1 from complete_generation(:task_id::uuid, 0.039);
