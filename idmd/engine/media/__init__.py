"""Media jobs through yt-dlp, which runs only in worker processes.

The engine imports ``probe_media``, ``MediaService`` and ``MediaRunner``
from here; this package never imports yt_dlp (``idmd.engine.media_worker``
does, in the child).
"""

from idmd.engine.media.probe import probe_media
from idmd.engine.media.runner import MediaRunner, PlaylistFound, discard_partial
from idmd.engine.media.service import WARM_AFTER, MediaService

__all__ = [
    "WARM_AFTER",
    "MediaRunner",
    "MediaService",
    "PlaylistFound",
    "discard_partial",
    "probe_media",
]
