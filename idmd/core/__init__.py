"""Pure logic of the engine: no aiohttp, sqlite3 or yt_dlp, no I/O.

Segment planning, file names, back-off, token bucket and checksum specs are
plain functions and small classes tested without sockets or disks.
"""
