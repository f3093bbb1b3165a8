\set m random(1, :users)
select task_id from start_generation(md5('bench-member-' || :m)::uuid, 'enhance', 'wavespeed', 'nano-banana', 2, null, '{}',
                                     md5('bench-team')::uuid) \gset
select 1 from complete_generation(:task_id::uuid, 0.039);
