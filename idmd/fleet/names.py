"""The NATS names of one fleet: its stream, consumer, KV bucket and subjects.

Everything a fleet shares is named from ``[fleet] name`` (letters, digits,
``-`` and ``_``: checked by ``idmd.config``), so several fleets can share one
NATS server without seeing each other's jobs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FleetNames:
    fleet: str

    @property
    def stream(self) -> str:
        return f"IDM_{self.fleet}_JOBS"

    @property
    def jobs_subject(self) -> str:  # one message per job to run: its id
        return f"idm.{self.fleet}.jobs"

    @property
    def consumer(self) -> str:  # the one durable pull consumer every node shares
        return "workers"

    @property
    def bucket(self) -> str:  # the KV bucket of job records
        return f"idm_{self.fleet}_jobs"

    def events(self, node: str = "*") -> str:  # each node's events
        return f"idm.{self.fleet}.events.{node}"

    def nodes(self, node: str = "*") -> str:  # each node's heartbeat (alive, active jobs, speed)
        return f"idm.{self.fleet}.nodes.{node}"

    def control(self, node: str) -> str:  # pause, resume, cancel, limit a job a node holds
        return f"idm.{self.fleet}.control.{node}"
