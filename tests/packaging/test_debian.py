"""
The Debian package, end to end: build, lintian, install, run, purge.

This does what a user and systemd would do: C{dpkg-buildpackage} from a
copy of the tree, lintian with no errors or warnings, C{dpkg -i}, then the
unit's own C{ExecStart} line run as the unit's C{User=} (systemd is not PID
1 on these machines), real aws-cli requests against it, SIGTERM by PID and
C{dpkg --purge}. Debian tools run with a clean PATH so that they use
Debian's python3, not a venv's or pyenv's (notes/packaging.md).

It needs root and the Debian toolchain; it skips without them, and under
CI=true a skip is a failure (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import REPO, listening_ports, read_keys

CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
UNIT = Path("/lib/systemd/system/cartridge-s3.service")
STATE = Path("/var/lib/cartridge-s3")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("dpkg-buildpackage", path=CLEAN_ENV["PATH"]) is None
    or shutil.which("lintian", path=CLEAN_ENV["PATH"]) is None,
    reason="needs root, dpkg-buildpackage and lintian",
)


def sh(*argv: str, cwd: Path | None = None, timeout: float = 900) -> str:
    """
    Run a Debian tool with a clean environment; fail the test on error.
    """
    result = subprocess.run(argv, cwd=cwd, env=CLEAN_ENV, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    Build the package from a copy of the tree; return the .changes file.
    """
    out = tmp_path_factory.mktemp("deb")
    src = out / "cartridge-s3"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        if not (REPO / name).is_file():
            continue
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, src / name)
    sh("dpkg-buildpackage", "-us", "-uc", "-b", cwd=src)
    changes = list(out.glob("cartridge-s3_*.changes"))
    assert len(changes) == 1
    return changes[0]


@pytest.fixture(scope="module")
def installed(built: Path) -> Iterator[Path]:
    """
    Install the built package; purge it afterwards whatever happened.
    """
    deb = next(built.parent.glob("cartridge-s3_*_all.deb"))
    sh("dpkg", "-i", str(deb))
    try:
        yield deb
    finally:
        subprocess.run(["dpkg", "--purge", "cartridge-s3"], env=CLEAN_ENV, capture_output=True)


def test_lintian_is_clean(built: Path) -> None:
    """
    lintian reports no errors and no warnings on the package.
    """
    report = subprocess.run(["lintian", str(built)], env=CLEAN_ENV, capture_output=True,
                            text=True, timeout=600)
    bad = [line for line in report.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert bad == [], report.stdout


def test_package_contents(built: Path) -> None:
    """
    The .deb holds the code, the plugin, the unit and the conffile, and none
    of the build's leftovers (dropin.cache, tests, _trial_temp).
    """
    deb = next(built.parent.glob("cartridge-s3_*_all.deb"))
    listing = sh("dpkg-deb", "-c", str(deb))
    for wanted in ("usr/lib/python3/dist-packages/cartridge_d/service/tap.py",
                   "usr/lib/python3/dist-packages/twisted/plugins/cartridge_s3_plugin.py",
                   "lib/systemd/system/cartridge-s3.service",
                   "etc/cartridge-s3/cartridge-s3.conf",
                   "usr/bin/cartridge"):
        assert wanted in listing
    for unwanted in ("dropin.cache", "_trial_temp", "dist-packages/tests/", ".hypothesis"):
        assert unwanted not in listing
    info = sh("dpkg-deb", "-I", str(deb))
    assert "python3-twisted" in info
    sh("dpkg-deb", "-e", str(deb), str(built.parent / "control"))
    assert "/etc/cartridge-s3/cartridge-s3.conf" in (built.parent / "control" / "conffiles").read_text()


def test_installed_plugin_is_listed(installed: Path) -> None:
    """
    Debian's twistd3 lists the plugin, and the trigger rebuilt its cache.
    """
    assert "cartridge-s3" in sh("/usr/bin/twistd3", "--help")
    assert "--s3-versioning" in sh("/usr/bin/twistd3", "cartridge-s3", "--help")
    assert "usage" in sh("/usr/bin/cartridge", "--help").lower()


def unit_value(text: str, key: str) -> str:
    match = re.search(rf"^{key}=(.*)$", text, re.MULTILINE)
    assert match, key
    return match.group(1).strip()


def test_service_answers_aws_cli(installed: Path, tmp_path: Path) -> None:
    """
    The unit's ExecStart, run as the service user, serves aws-cli: make a
    bucket, upload, list, download byte for byte; SIGTERM stops it with
    exit code 0 and the data is in /var/lib/cartridge-s3.
    """
    unit = UNIT.read_text()
    user = unit_value(unit, "User")
    group = unit_value(unit, "Group")
    workdir = unit_value(unit, "WorkingDirectory")
    exec_start = shlex.split(unit_value(unit, "ExecStart"))
    sh("install", "-d", "-o", user, "-g", group, "-m", "0750", str(STATE))
    # port 0: the kernel picks a free port as the daemon binds it, so
    # nothing can take it in between; the daemon's log says which
    argv = ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups", *exec_start,
            "--listen", "tcp:0:interface=127.0.0.1"]
    env = dict(CLEAN_ENV, HOME=str(STATE), STATE_DIRECTORY=str(STATE))
    log = tmp_path / "daemon.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        (port,) = listening_ports(log, 0, 1, 30, proc)
        keys = read_keys(STATE / "cartridge-s3.cart.credentials")
        assert (STATE / "cartridge-s3.cart.credentials").stat().st_mode & 0o077 == 0
        aws = shutil.which("aws", path=os.path.dirname(sys.executable) + ":" + CLEAN_ENV["PATH"])
        assert aws is not None, "aws-cli is not installed"
        aws_env = dict(os.environ, AWS_ACCESS_KEY_ID=keys.access_key,
                       AWS_SECRET_ACCESS_KEY=keys.secret_key, AWS_DEFAULT_REGION="us-east-1")
        aws_env.pop("AWS_CA_BUNDLE", None)

        def aws_cli(*args: str) -> str:
            r = subprocess.run([aws, "--endpoint-url", f"http://127.0.0.1:{port}", *args],
                               env=aws_env, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, f"aws {args}: {r.stdout}{r.stderr}\n{log.read_text()}"
            return r.stdout

        payload = tmp_path / "payload.bin"
        payload.write_bytes(os.urandom(3 << 20) + b"end")
        aws_cli("s3", "mb", "s3://smoke")
        aws_cli("s3", "cp", str(payload), "s3://smoke/dir/payload.bin")
        assert "dir/" in aws_cli("s3", "ls", "s3://smoke/")
        assert "payload.bin" in aws_cli("s3", "ls", "s3://smoke/dir/")
        back = tmp_path / "back.bin"
        aws_cli("s3", "cp", "s3://smoke/dir/payload.bin", str(back))
        assert back.read_bytes() == payload.read_bytes()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, log.read_text()
    assert (STATE / "cartridge-s3.cart").stat().st_size > 3 << 20


def test_purge_removes_user_and_state(installed: Path) -> None:
    """
    dpkg --purge removes the package, its service user and its state.
    """
    sh("dpkg", "--purge", "cartridge-s3")
    assert not STATE.exists()
    assert subprocess.run(["getent", "passwd", "cartridge-s3"], capture_output=True).returncode != 0
    assert "cartridge-s3" not in subprocess.run(
        ["/usr/bin/twistd3", "--help"], env=CLEAN_ENV, capture_output=True, text=True).stdout
