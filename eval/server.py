"""The real service under uvicorn in a subprocess on a free loopback port: start, wait for /readyz, stop.

The one launcher the benchmark and the end-to-end tests share. Standard library only, so a test needs no HTTP
client to use it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 180.0
POLL_S = 0.02


class ServerFailed(RuntimeError):
    """The server exited or was not ready in time; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse_proc_status(text: str) -> dict[str, int]:
    """The memory lines of /proc/PID/status (VmRSS, VmHWM, …) in bytes."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key.startswith("Vm") and len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            out[key] = int(parts[0]) * 1024
    return out


class Server:
    """`citeqa`'s app (`service.app:create_app`) under uvicorn; `stop()` always ends it."""

    def __init__(
        self,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.extra_args = extra_args
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def command(self) -> list[str]:
        """What runs the server; a subclass may run another entry point on the same port."""
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *self.extra_args,
        ]

    def start(self) -> None:
        cmd = self.command()
        with self.log_path.open("wb") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(
        self, timeout_s: float = READY_TIMEOUT_S, headers: Mapping[str, str] | None = None
    ) -> float:
        """Seconds from process start to the first 200 from /readyz."""
        assert self.proc is not None, "start() first"
        deadline = self.started + timeout_s
        last = "no answer yet"
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(
                    f"the server exited with {self.proc.returncode} before it was ready:\n{self.log_tail()}"
                )
            try:
                request = urllib.request.Request(f"{self.base_url}/readyz", headers=dict(headers or {}))
                with urllib.request.urlopen(request, timeout=2) as r:
                    if r.status == 200 and json.loads(r.read()).get("status") == "ready":
                        return time.perf_counter() - self.started
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                exc.close()
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(POLL_S)
        raise ServerFailed(
            f"GET {self.base_url}/readyz was not 200 within {timeout_s:.0f} s ({last}):\n{self.log_tail()}"
        )

    def memory(self) -> dict[str, int]:
        assert self.proc is not None
        try:
            return parse_proc_status(Path(f"/proc/{self.proc.pid}/status").read_text())
        except OSError:
            return {}

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:].strip()
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


@contextmanager
def running_server(
    log_path: Path,
    env: Mapping[str, str] | None = None,
    ready_timeout_s: float = READY_TIMEOUT_S,
    headers: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """A started, ready server, stopped on the way out whatever happens."""
    server = Server(log_path, env)
    try:
        server.start()
        server.wait_ready(ready_timeout_s, headers)
        yield server
    finally:
        server.stop()
