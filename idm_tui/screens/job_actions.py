"""The actions on one job, shared by the list and the details view.

Each is an RPC call; the result comes back as events, so nothing is changed
here. The screen using this says which job is meant through ``selected()``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idmd.protocol.models import Job

if TYPE_CHECKING:
    from idm_tui.app import IdmApp


class JobActions:
    """Mixed into a Screen: pause/resume, cancel, retry, remove, open folder, priority."""

    app: Any

    @property
    def idm(self) -> IdmApp:
        return self.app  # type: ignore[no-any-return]

    def selected(self) -> Job | None:
        raise NotImplementedError

    def action_pause_resume(self) -> None:
        job = self.selected()
        if job is None:
            return
        method = "jobs.resume" if job.get("status") == "paused" else "jobs.pause"
        if job.get("status") not in ("downloading", "queued", "paused"):
            self.app.notify(
                f"a {job.get('status')} job cannot be paused or resumed", severity="warning"
            )
            return
        self.idm.request(method, {"ids": [job["id"]]})

    def action_cancel(self) -> None:
        from idm_tui.screens.confirm import CancelScreen

        job = self.selected()
        if job is None:
            return

        def chosen(answer: bool | None) -> None:
            if answer:
                self.idm.request("jobs.cancel", {"ids": [job["id"]]})

        self.app.push_screen(CancelScreen(job), chosen)

    def action_retry(self) -> None:
        job = self.selected()
        if job is not None:
            self.idm.request("jobs.retry", {"ids": [job["id"]]})

    def action_remove(self) -> None:
        from idm_tui.screens.confirm import RemoveScreen

        job = self.selected()
        if job is None:
            return

        def chosen(answer: tuple[bool, bool] | None) -> None:
            if answer and answer[0]:
                self.idm.request("jobs.remove", {"ids": [job["id"]], "delete_files": answer[1]})

        self.app.push_screen(RemoveScreen(job), chosen)

    def action_open_folder(self) -> None:
        job = self.selected()
        if job is None:
            return
        opener = shutil.which("open" if sys.platform == "darwin" else "xdg-open")
        path = job.get("path")
        if not path:
            self.app.notify("this job has no file yet", severity="warning")
        elif opener is None:
            self.app.notify(
                f"no opener here; the folder is {Path(path).parent}", severity="warning"
            )
        else:
            subprocess.Popen(
                [opener, str(Path(path).parent)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

    def action_priority(self, step: int) -> None:
        job = self.selected()
        if job is None:
            return
        current = int((job.get("options") or {}).get("priority") or 0)
        self.idm.request(
            "jobs.update",
            {"id": job["id"], "patch": {"priority": current + step}},
            lambda _: self.app.notify(f"priority {current + step}"),
        )
