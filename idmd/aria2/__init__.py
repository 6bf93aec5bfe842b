"""aria2's JSON-RPC as a second face on the engine (``/jsonrpc``), so AriaNg,
aria2p, aria2.js and phone apps drive idmd. idm's own protocol (``/rpc``)
stays the primary one; this package only translates. docs/aria2.md has the mapping."""
