"""What a paired client (a browser extension with a token of its own) may do,
as opposed to the owner's token (the 0600 file).

A paired client adds and manages downloads, into the download folder and the
folders of ``allowed_dirs`` only; it may not stop the daemon, approve or
revoke pairings, read or change the per-site credentials, nor change where
the daemon listens, who may connect, where paired clients may write or the
proxy every download goes through. docs/protocol.md lists the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from idmd.protocol.errors import NotAllowed

if TYPE_CHECKING:
    from idmd.context import DaemonContext
    from idmd.rpc.peer import Peer

OWNER_METHODS = frozenset(
    {
        "daemon.shutdown",
        "pairing.approve",
        "pairing.deny",
        "pairing.revoke",
        "pairing.list",
        "credentials.add",
        "credentials.list",
        "credentials.remove",
    }
)
# The proxy too: a paired client would otherwise send every download through a host it chose;
# the commands run and URLs posted to after a download, and the fleet, are the owner's alone.
OWNER_CONFIG_KEYS = frozenset(
    {
        "host",
        "port",
        "allowed_origins",
        "allowed_dirs",
        "extension_ids",
        "proxy",
        "no_proxy",
        "actions",
        "webhook_url",
        "on_queue_empty",
        "fleet",
        "fleet_url",
        "fleet_name",
        "fleet_node",
        "fleet_credentials",
        "fleet_tls_ca",
        "fleet_tls_cert",
        "fleet_tls_key",
    }
)


def is_paired(peer: Peer) -> bool:
    return peer.authenticated and peer.client_id is not None


def check_method(peer: Peer, name: str) -> None:
    if name in OWNER_METHODS and is_paired(peer):
        raise NotAllowed(
            f"a paired client may not call {name}", {"method": name, "scope": "paired"}
        )


def check_config_patch(peer: Peer, patch: dict[str, Any]) -> None:
    if not is_paired(peer):
        return
    for key in sorted(patch):
        if key in OWNER_CONFIG_KEYS:
            raise NotAllowed(
                f"a paired client may not change {key}",
                {"param": f"patch.{key}", "scope": "paired"},
            )


def writable_roots(ctx: DaemonContext) -> list[Path]:
    """Where a paired client may download to: the download folder and ``allowed_dirs``."""
    return [ctx.download_dir, *(Path(d) for d in ctx.config.allowed_dirs)]
