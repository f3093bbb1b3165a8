\set id random(1, 10000)
select bench_rpc_update(:id);
