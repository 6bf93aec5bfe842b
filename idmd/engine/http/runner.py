"""``HttpRunner``: a plain file job, the segmented download of the job's URL.

In mode ``auto`` the first response may say the URL is a page or a stream
manifest (``NotAFile``); the engine then hands the job to the media runner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idmd.engine.runner import JobContext


class HttpRunner:
    async def run(self, ctx: JobContext) -> None:
        job = ctx.job
        detect = (job.options.get("mode") or "auto") == "auto"
        path = await ctx.download_file(
            job.url, None, job.options.get("filename"), detect_media=detect
        )
        job.path = str(path)
