"""
s3cmd against the real daemon with SigV4 and with SigV2: mb, put, ls, la,
get, info, sync, del --recursive, signurl + curl, rb.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from harness import Daemon, require_tool, tree


@pytest.mark.parametrize("signature_v2", [False, True], ids=["sigv4", "sigv2"])
def test_s3cmd_workflow(daemon: Daemon, tmp_path: Path, signature_v2: bool) -> None:
    """
    The everyday s3cmd commands work with either signature version and every
    byte comes back.
    """
    exe = require_tool("s3cmd")
    host = f"127.0.0.1:{daemon.port}"
    cfg = tmp_path / "s3cfg"
    cfg.write_text(
        "[default]\n"
        f"access_key = {daemon.keys.access_key}\nsecret_key = {daemon.keys.secret_key}\n"
        f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\n"
        f"signature_v2 = {signature_v2}\nbucket_location = us-east-1\n")

    def s3cmd(*args: str) -> str:
        r = subprocess.run([exe, "-c", str(cfg), *args], capture_output=True, text=True,
                           timeout=300, env=dict(os.environ, HOME=str(tmp_path)))
        assert r.returncode == 0, f"s3cmd {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    bucket = "s3cmd-v2" if signature_v2 else "s3cmd-v4"
    s3cmd("mb", f"s3://{bucket}")
    single = tmp_path / "single.bin"
    single.write_bytes(os.urandom(1 << 20))
    s3cmd("put", str(single), f"s3://{bucket}/single.bin")
    assert "single.bin" in s3cmd("ls", f"s3://{bucket}")
    assert f"s3://{bucket}/single.bin" in s3cmd("la")
    s3cmd("get", f"s3://{bucket}/single.bin", str(tmp_path / "single.back"))
    assert (tmp_path / "single.back").read_bytes() == single.read_bytes()
    info = s3cmd("info", f"s3://{bucket}/single.bin")
    assert "MD5 sum" in info
    s3cmd("info", f"s3://{bucket}")

    src = tmp_path / "src"
    for name, data in {"x.txt": b"x", "d/y.bin": os.urandom(50_000), "d/z z.txt": b"zz"}.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    s3cmd("sync", str(src) + "/", f"s3://{bucket}/tree/")
    back = tmp_path / "back"
    back.mkdir()
    s3cmd("sync", f"s3://{bucket}/tree/", str(back) + "/")
    assert tree(back) == tree(src)

    url = s3cmd("signurl", f"s3://{bucket}/single.bin", "+600").strip().splitlines()[-1]
    assert urllib.request.urlopen(url, timeout=30).read() == single.read_bytes()

    s3cmd("del", "--recursive", "--force", f"s3://{bucket}/")
    assert s3cmd("ls", f"s3://{bucket}").strip() == ""
    s3cmd("rb", f"s3://{bucket}")
