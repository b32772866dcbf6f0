"""The messages of the place-order saga, one module per service that consumes or emits them.

Commands are imperative and go to the service that executes them (`ReserveStock` →
inventory); events are past tense and come from the service where they happened
(`StockReserved`). Every message carries the order id, which is also its Kafka key.
A breaking change is a new class with `VERSION = 2`, never an edit of a published one.
"""
