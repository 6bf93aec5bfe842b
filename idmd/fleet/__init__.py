"""A fleet: several idmd on one queue over NATS JetStream (``[fleet] url`` in config.toml).

Only ``idmd.app`` starts it, and only when a fleet URL is configured: importing
this package imports nothing of ``nats``; the modules that need it
(``link``, ``node``) are imported by ``idmd.app`` on demand. ``record`` and
``names`` are pure.
"""
