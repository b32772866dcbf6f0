"""ShopFlow's test support, for the tests of every package (never shipped with a service).

- `plugin` and `kafka`: the pytest fixtures, on real PostgreSQL, Kafka and Redis
  (loaded by the repository's root conftest);
- `infra`: where those servers are: the local stack's processes, or containers;
- `callers`: the service tokens a test calls a service with;
- `servers`: an app in process, with its lifespan, or served over real HTTP;
- `stand_ins`: the other side of the bus, played by a test;
- `waits`: waiting for what has no event (a metric's count, a drained outbox);
- `migrations`: a service's migrations held to its models; `skeleton`: its files held
  to the skeleton every service has;
- `sample_saga`: a saga shaped like place-order, for the saga engine's tests;
- `span_recorder`: the spans the code under test finished, for the tracing tests.
"""
