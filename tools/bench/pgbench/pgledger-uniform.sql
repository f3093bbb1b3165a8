\set a random(1, :users)
\set b random(1, :users - 1)
\if :b >= :a
\set b :b + 1
\endif
select 1 from pgledger_create_transfer('pgla_' || lpad(:a::text, 26, '0'), 'pgla_' || lpad(:b::text, 26, '0'), 2);
