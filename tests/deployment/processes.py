"""mops processes for the deployment tests: started on a test's database, always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from interfaces.auth import mint
from tests.conftest import Database

ROOT = Path(__file__).resolve().parents[2]
HOST = socket.gethostname()
# `mops serve` refuses the published development secret: the servers get one of their own.
SECRET = "deployment-tests-" + "s3cret" * 6


def bearer(subject: str, *roles: str) -> dict[str, str]:
    """Headers carrying a token the test servers accept."""
    return {"Authorization": f"Bearer {mint(SECRET, subject, list(roles), timedelta(hours=1))}"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    """A `mops` command running as its own process, its output in a file."""

    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def identity(self) -> str:
        """How the read side names this process when it holds it."""
        return f"{self.popen.pid}@{HOST}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the server answers /health; fail with its output if it died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"the server exited with {self.popen.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not answer within {timeout} s:\n{self.output()}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the process and answer its exit code; killed if it outlives `timeout`."""
        if self.popen.poll() is None:
            self.popen.send_signal(signum)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        return self.popen.returncode


@dataclass
class Processes:
    """Starts `mops` commands on one database; `close` stops every one still running."""

    database: Database
    directory: Path
    started: list[Process] = field(default_factory=list)

    def start(self, *args: str, port: int | None = None, **env: str) -> Process:
        environment = {
            **os.environ,
            "MOPS_DATABASE_URL": self.database.url,
            "MOPS_JWT_SECRET": SECRET,
            # Commits need not wait for the disk here: a demo on PostgreSQL then takes
            # half the time, and what is tested (order, visibility) is the same.
            "PGOPTIONS": "-c synchronous_commit=off",
            **env,
        }
        log = self.directory / f"process-{len(self.started)}.log"
        with log.open("wb") as sink:
            popen = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli", *args],
                cwd=ROOT,
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        process = Process(popen, log, port)
        self.started.append(process)
        return process

    def serve(self, *args: str, servers: int = 1, **env: str) -> list[Process]:
        """`mops serve` on free ports, started together, once every one answers."""
        started = []
        for _ in range(servers):
            port = free_port()
            started.append(self.start("serve", "--port", str(port), *args, port=port, **env))
        for server in started:
            server.wait_ready()
        return started

    def run(self, *args: str, timeout: float = 120) -> str:
        """Run a command to its end; answers its output, failing on a non-zero exit."""
        process = self.start(*args)
        try:
            returncode = process.popen.wait(timeout=timeout)
        finally:
            process.stop(signal.SIGKILL)
        assert returncode == 0, process.output()
        return process.output()

    def close(self) -> None:
        for process in self.started:
            process.stop()


def running(database: Database, directory: Path) -> Iterator[Processes]:
    """Processes on the database, each stopped at the end whatever happened."""
    processes = Processes(database, directory)
    try:
        yield processes
    finally:
        processes.close()
