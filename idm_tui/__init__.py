"""idm-tui: the Textual terminal UI of idm.

It talks to the daemon only through ``idmd.client`` and ``idmd.protocol``;
everything it shows comes from the daemon's snapshot and event stream.
"""

__version__ = "0.1.0"
