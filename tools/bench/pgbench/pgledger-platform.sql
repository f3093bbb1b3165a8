\set a random(1, :users)
select 1 from pgledger_create_transfer('pgla_' || lpad(:a::text, 26, '0'), 'pgla_' || lpad('0', 26, '0'), 2);
