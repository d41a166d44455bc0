"""
aws-cli against the real daemon: mb, cp (small and 20 MiB), ls, sync up and
down, presign + curl, rm, rb; every file compared byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from harness import Daemon, tree


@pytest.fixture(scope="module")
def aws(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """
    Run aws-cli (the venv's v1 if there is one, else the system's) against
    the daemon with its generated keys.
    """
    exe = shutil.which("aws", path=os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    if exe is None:
        pytest.skip("aws-cli is not installed")
    home = tmp_path_factory.mktemp("aws")
    config = home / "config"
    config.write_text("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=daemon.keys.access_key,
               AWS_SECRET_ACCESS_KEY=daemon.keys.secret_key, AWS_CONFIG_FILE=str(config),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "none"), HOME=str(home))
    env.pop("AWS_CA_BUNDLE", None)
    env.pop("AWS_PROFILE", None)

    def run(*args: str) -> str:
        r = subprocess.run([exe, "--endpoint-url", daemon.endpoint, *args], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"aws {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    return run


def test_aws_cli_workflow(aws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """
    The everyday aws-cli commands work and every byte comes back.
    """
    aws("s3", "mb", "s3://cli")
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello from aws-cli\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 << 20))
    aws("s3", "cp", str(small), "s3://cli/small.txt")
    aws("s3", "cp", str(big), "s3://cli/big.bin")
    listing = aws("s3", "ls", "s3://cli/")
    assert "small.txt" in listing and "big.bin" in listing and str(20 << 20) in listing
    aws("s3", "cp", "s3://cli/big.bin", str(tmp_path / "big.back"))
    assert (tmp_path / "big.back").read_bytes() == big.read_bytes()

    up = tmp_path / "up"
    for name, size in [("a.txt", 10), ("dir/b.bin", 70_000), ("dir/sub/c with space.txt", 5),
                       ("ü.txt", 3)]:
        (up / name).parent.mkdir(parents=True, exist_ok=True)
        (up / name).write_bytes(os.urandom(size))
    aws("s3", "sync", str(up), "s3://cli/tree")
    down = tmp_path / "down"
    aws("s3", "sync", "s3://cli/tree", str(down))
    assert tree(down) == tree(up)
    (up / "a.txt").unlink()
    aws("s3", "sync", "--delete", str(up), "s3://cli/tree")
    assert "a.txt" not in aws("s3", "ls", "--recursive", "s3://cli/tree/")

    url = aws("s3", "presign", "s3://cli/small.txt").strip()
    assert urllib.request.urlopen(url, timeout=30).read() == small.read_bytes()
    curl = shutil.which("curl")
    if curl is not None:
        fetched = subprocess.run([curl, "-fsS", url], capture_output=True, timeout=60)
        assert fetched.returncode == 0 and fetched.stdout == small.read_bytes()

    aws("s3", "rm", "--recursive", "s3://cli/")
    assert aws("s3", "ls", "s3://cli/").strip() == ""
    aws("s3", "rb", "s3://cli")
    assert "cli" not in aws("s3", "ls").split()
