\set id random(1, 10000)
update bench_ceiling set n = n + 1 where id = :id;
