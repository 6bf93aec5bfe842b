"""The daemon's JSON-RPC 2.0 API: a transport-free dispatcher, one module per
namespace, and ``server.py`` (the aiohttp WebSocket and SSE endpoints).

Importing this package imports no aiohttp; ``idmd.rpc.server`` does.
"""
