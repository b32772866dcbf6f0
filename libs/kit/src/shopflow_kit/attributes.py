"""The names of span attributes, in one place: what a trace search or a dashboard can rely on.

OpenTelemetry's semantic conventions name the generic ones (messaging, HTTP, database);
ShopFlow's own live under `shopflow.`. Code sets attributes through these constants, so
a misspelt name is a NameError rather than a trace nobody can find.
"""

# ShopFlow's domain: search Jaeger for `shopflow.order.id=<id>` to find an order's trace.
ORDER_ID = "shopflow.order.id"
CORRELATION_ID = "shopflow.correlation_id"  # a message's correlation id: its order id
CAUSATION_ID = "shopflow.causation_id"  # the id of the message that caused this one
MESSAGE_TYPE = "shopflow.message.type"  # ReserveStock, StockReserved, ...
SAGA_ID = "shopflow.saga.id"
SAGA_NAME = "shopflow.saga.name"
SAGA_STEP = "shopflow.saga.step"  # the index of the step the saga is at
SAGA_STATUS = "shopflow.saga.status"

# OpenTelemetry semantic conventions for messaging (Kafka).
MESSAGING_SYSTEM = "messaging.system"
MESSAGING_OPERATION_TYPE = "messaging.operation.type"  # "send" or "process"
MESSAGING_OPERATION_NAME = "messaging.operation.name"
MESSAGING_DESTINATION = "messaging.destination.name"
MESSAGING_PARTITION = "messaging.destination.partition.id"
MESSAGING_MESSAGE_ID = "messaging.message.id"
MESSAGING_CONSUMER_GROUP = "messaging.consumer.group.name"
MESSAGING_KAFKA_KEY = "messaging.kafka.message.key"
MESSAGING_KAFKA_OFFSET = "messaging.kafka.offset"

# OpenTelemetry semantic conventions for HTTP spans (see `server_spans`, `client_spans`).
HTTP_REQUEST_METHOD = "http.request.method"
HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original"
HTTP_ROUTE = "http.route"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
ERROR_TYPE = "error.type"
URL_SCHEME = "url.scheme"
URL_PATH = "url.path"
URL_QUERY = "url.query"
URL_FULL = "url.full"  # a client span's: the URL called, credentials and secrets redacted
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
NETWORK_PROTOCOL_VERSION = "network.protocol.version"
