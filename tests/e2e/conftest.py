"""The whole system as processes: every api and every worker, on this run's own stack."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping

import pytest

from services.common.manifest import manifests
from tests.support.infra import API_SERVICES, SERVICES, Infra, PlrStack, plr_stack, wait_for


class Running:
    def __init__(self, stack: PlrStack):
        self.stack = stack
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.logs: dict[str, list[str]] = {}

    def start(self, service: str, role: str) -> None:
        name = f"{service}-{role}"
        process = self.stack.process(service, role)
        self.processes[name] = process
        lines: list[str] = []
        self.logs[name] = lines
        stdout = process.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True).start()

    def start_all(self) -> None:
        """Every service's api (`plr health` asks each) and every worker."""
        for service in API_SERVICES:
            self.start(service, "api")
        for service in SERVICES:
            self.start(service, "worker")
        for service in (name for name, manifest in manifests().items() if manifest.web is not None):
            self.start(service, "web")

    def stop(self) -> dict[str, int | None]:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = None
        return codes


@pytest.fixture(scope="package")
def system(infra: Infra) -> Iterator[tuple[PlrStack, Running]]:
    yield from running_system(infra)


def running_system(infra: Infra, env: Mapping[str, str] | None = None) -> Iterator[tuple[PlrStack, Running]]:
    """A stack with every process running and healthy (given ``env`` as well: a log level, say); stopped
    cleanly (no error logged) afterwards."""
    with plr_stack(infra) as stack:
        stack.env.update(env or {})
        running = Running(stack)
        running.start_all()
        try:
            wait_for(
                lambda: stack.plr("health").returncode == 0,
                timeout=60,
                interval=0.5,
                message="every process to be healthy",
            )
            yield stack, running
        finally:
            codes = running.stop()
            for name, lines in running.logs.items():
                errors = [line for line in lines if '"level": "error"' in line]
                assert not errors, f"{name} logged errors: {errors[:3]}"
            assert all(code == 0 for code in codes.values()), f"processes did not stop cleanly: {codes}"
