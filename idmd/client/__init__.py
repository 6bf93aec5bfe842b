"""The one async client library for idmd (used by idm-tui, idm and the tests).

    client = await Client.connect()            # daemon.json + token file, msgpack
    jobs = await client.call("jobs.list", {})  # daemon errors raise idmd.protocol.errors classes
    async for item in client.subscribe():      # {"type": "snapshot", …} then events, forever
        ...

Connection state for UIs: ``client.status`` (a ``ConnectionStatus``: ``state`` is
connecting / connected / reconnecting / disconnected; while reconnecting
``retry_in`` seconds and ``retry_at`` on the loop's clock say when the next
attempt is, ``attempt`` counts them and ``error`` says why). Pass
``on_state=callback`` to ``connect`` or call ``client.add_state_listener(cb)``
to be called on every change. Back-off: 1, 2, 4, 8, 10, 10, … s; after a
reconnection the subscription resumes from the last seq it yielded and yields
a new snapshot item first.
"""

from idmd.client.client import Client
from idmd.client.discovery import Endpoint, discover
from idmd.client.errors import AuthenticationFailed, ClientError, ConnectionLost, DaemonNotRunning
from idmd.client.state import BACKOFF, ConnectionStatus, State

__all__ = [
    "BACKOFF",
    "AuthenticationFailed",
    "Client",
    "ClientError",
    "ConnectionLost",
    "ConnectionStatus",
    "DaemonNotRunning",
    "Endpoint",
    "State",
    "discover",
]
