"""
Run the real daemon for end-to-end tests.

L{Daemon} starts C{twistd cartridge-s3} as a subprocess of the interpreter
running the tests (so the venv run tests the latest Twisted and the Debian
run tests Twisted 22.4), on 127.0.0.1, with a temporary cartridge, and stops
it by its PID. Every wait is bounded.

The daemon listens on port 0 and the test reads the port the kernel gave it
from Twisted's "<factory> starting on <port>" log line. Picking a free port
first and passing it on is a race: between the probe closing
and the daemon binding, any process's outgoing connection or another
test's listener can take the port, and the wait then either sees our
daemon die of EADDRINUSE or, worse, connects to the other listener and
runs the test against a stranger's server (docs/flaky.md).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
TWISTD = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"


#: Twisted's line when a listening port is up (22.4 through 26), e.g.
#: "S3Site starting on 40089" or "S3Site (TLS) starting on 34755".
LISTENING = re.compile(r" starting on (\d+)$", re.MULTILINE)


def listening_ports(logfile: Path, offset: int, count: int, timeout: float,
                    proc: subprocess.Popen[Any]) -> list[int]:
    """
    The ports of the first C{count} listeners a twistd process logs in
    C{logfile} after byte C{offset}, in the order it started them (the
    order of its --listen options).

    @raise RuntimeError: if the process died or the time ran out.
    """
    deadline = time.monotonic() + timeout
    while True:
        text = ""
        if logfile.exists():
            with logfile.open("rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
        ports = [int(p) for p in LISTENING.findall(text)]
        if len(ports) >= count:
            return ports[:count]
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early with {proc.returncode}")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{len(ports)} of {count} listeners up after {timeout}s")
        time.sleep(0.05)


def catches(pid: int, signum: int) -> bool:
    """
    Whether process C{pid} has a handler installed for C{signum}, from the
    SigCgt mask in /proc/<pid>/status.
    """
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except FileNotFoundError:
        pass
    return False


def wait_catches(proc: subprocess.Popen[Any], signum: int, timeout: float) -> None:
    """
    Wait until C{proc} handles C{signum} itself.

    twistd starts the services, and with them the listeners whose log
    lines L{listening_ports} reads, before C{reactor.run()}, and the reactor
    installs its SIGTERM handler only in the "during startup" phase of
    run(). A SIGTERM sent in between kills the process by the default
    action (exit status -15) instead of a clean stop (docs/flaky.md).

    @raise RuntimeError: if the process died or the time ran out.
    """
    deadline = time.monotonic() + timeout
    while not catches(proc.pid, signum):
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early with {proc.returncode}")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"no handler for signal {signum} after {timeout}s")
        time.sleep(0.01)


@dataclass
class Keys:
    """
    An access key pair read from a credentials file.
    """

    access_key: str
    secret_key: str


def read_keys(path: Path) -> Keys:
    """
    The first key pair of a credentials file.
    """
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            access, secret = line.split()[:2]
            return Keys(access, secret)
    raise ValueError(f"no credentials in {path}")


class Daemon:
    """
    One C{twistd cartridge-s3} process on a temporary directory.
    """

    def __init__(self, workdir: Path, *extra: str, cartridge: Path | None = None,
                 cartridge_arg: bool = True) -> None:
        """
        @param cartridge_arg: pass C{--cartridge} on the command line (tests
            of the config file leave it to the file).
        """
        self.workdir = workdir
        self.cartridge_arg = cartridge_arg
        self.cartridge = cartridge or workdir / "test.cart"
        self.extra = extra
        self.port = 0
        self.ports: list[int] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.logfile = workdir / "twistd.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def keys(self) -> Keys:
        return read_keys(Path(str(self.cartridge) + ".credentials"))

    def start(self, timeout: float = 30.0) -> "Daemon":
        """
        Start the daemon on plain TCP port 0 (plus any --listen in the extra
        arguments, which may use port 0 too) and wait until every listener
        is up and the reactor handles SIGTERM: C{port} is the plain one,
        C{ports} all of them in order.
        """
        offset = self.logfile.stat().st_size if self.logfile.exists() else 0
        env = dict(os.environ, PYTHONPATH=str(REPO))
        argv = [sys.executable, "-c", TWISTD, "--nodaemon", "--pidfile=",
                f"--logfile={self.logfile}", "cartridge-s3",
                *(["--cartridge", str(self.cartridge)] if self.cartridge_arg else []),
                "--listen", "tcp:0:interface=127.0.0.1", *self.extra]
        self.proc = subprocess.Popen(argv, cwd=self.workdir, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.ports = listening_ports(self.logfile, offset, 1 + self.extra.count("--listen"),
                                         timeout, self.proc)
            wait_catches(self.proc, signal.SIGTERM, timeout)
        except RuntimeError:
            self.kill()
            raise RuntimeError(f"daemon did not start:\n{self.log()}")
        self.port = self.ports[0]
        return self

    def log(self) -> str:
        text = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
        if self.proc is not None and self.proc.stderr is not None and self.proc.poll() is not None:
            text += self.proc.stderr.read().decode(errors="replace")
        return text

    def stop(self, timeout: float = 30.0) -> int:
        """
        SIGTERM the daemon by PID and return its exit code.
        """
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        """
        SIGKILL the daemon if it still runs (a crash, as far as it knows).
        """
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def boto3(self, **config: Any) -> Any:
        """
        A boto3 S3 client for this daemon, path-style, SigV4.
        """
        import boto3
        from botocore.config import Config

        keys = self.keys
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=keys.access_key,
            aws_secret_access_key=keys.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                          **config),
        )


def require_tool(name: str) -> str:
    """
    The path of a client program, or a skip (a failure under CI=true).
    """
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def tree(root: Path) -> dict[str, bytes]:
    """
    Every file under root, by relative path, with its bytes.
    """
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
