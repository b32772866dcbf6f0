"""ShopFlow's benchmark harness: `make bench` measures the shop in one run (docs/benchmarks.md).

Each module measures one thing and returns its figures as data: `reads` (wrk, a bare app
up to the gateway), `saga` (open-loop throughput, CPU per order, the highest rate within
the latency target), `relay` (the outbox relay), `ceilings` (pgbench, Kafka),
`upstream_clients` (ADR 0006's comparison); `processes` reads /proc; `report` renders.
"""
