"""The protocol's shared types: error codes, event names, job statuses, the
Job's shape, and the declaration of every job option and parameter.

Imported by the daemon, the client library, the CLI and the TUI; it imports
nothing but the standard library and the pure core (``idmd.core``: file
names, checksums).
"""

PROTOCOL_VERSION = 1
SUBPROTOCOL_JSON = "idm.v1.json"
SUBPROTOCOL_MSGPACK = "idm.v1.msgpack"
MAX_FRAME = 1024 * 1024  # a request frame may be up to this size (1 MiB); larger ones close 1009
MAX_REPLY = 4 * MAX_FRAME  # a reply frame never exceeds this (4 MiB); what would is refused -32011
MAX_BATCH_REQUESTS = 100  # requests in one batch frame; a longer batch is refused -32600
