"""In a fleet, a media job whose record another node took over (this node was cut off) is
never completed here: the finished file does not take its final name (``ctx.fence``)."""

from __future__ import annotations

from typing import Any

import pytest

from idmd.engine.jobs import Job
from idmd.engine.runner import HandedOver
from idmd.protocol.errors import NoSuchJob
from tests.media.conftest import Jobs
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media


class TakenOverElsewhere:
    """A fleet whose record names another node as every job's owner: the fence refuses."""

    def take(self, job: Job) -> bool:
        return False  # the job runs here, as a job pulled from the fleet would

    def owns(self, job: Job) -> bool:
        return False

    def summary(self) -> dict[str, Any]:
        return {}

    async def control(self, action: str, job_id: str, patch: Any) -> Any:
        raise NoSuchJob(job_id)

    async def fence(self, job: Job) -> None:
        raise HandedOver("taken over by node n2 while this node was cut off from the fleet")


async def test_a_media_job_another_node_took_over_is_not_completed_here(
    server: MediaServer, jobs: Jobs
) -> None:
    jobs.engine.handover = TakenOverElsewhere()
    job = await jobs.engine.add(server.url("f/dash/manifest.mpd"), {})
    ended = await jobs.status(job["id"], "completed", "failed", "cancelled")
    assert ended["status"] == "cancelled", ended
    assert ended["error"]["code"] == "handed_over"
    # Nothing took a final name; what was fetched stays in the job's hidden folder.
    assert all(name.startswith(".idm-media-") for name in jobs.leftovers()), jobs.leftovers()
