"""
The daemon as an operator meets it: start-up, credentials, signals, restarts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import REPO, TWISTD, Daemon


def test_twistd_lists_the_plugin() -> None:
    """
    `twistd --help` lists cartridge-s3, and its own --help shows the options.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", TWISTD, "--help"], env=env,
                         capture_output=True, text=True, timeout=60).stdout
    assert "cartridge-s3" in out
    out = subprocess.run([sys.executable, "-c", TWISTD, "cartridge-s3", "--help"], env=env,
                         capture_output=True, text=True, timeout=60).stdout
    assert "--cartridge" in out and "./cartridge-s3.cart" in out


def test_first_start_generates_credentials(tmp_path: Path) -> None:
    """
    With no credentials configured, the first start writes a key pair to
    <cartridge>.credentials with mode 0600 and logs the access key and the
    file, never the secret; SIGTERM stops the server with exit code 0.
    """
    d = Daemon(tmp_path).start()
    try:
        creds = Path(str(d.cartridge) + ".credentials")
        assert creds.stat().st_mode & 0o777 == 0o600
        keys = d.keys
        s3 = d.boto3()
        assert s3.list_buckets()["Buckets"] == []
    finally:
        code = d.stop()
    log = d.log()
    assert code == 0, log
    assert keys.access_key in log
    assert str(creds) in log
    assert keys.secret_key not in log


def test_restart_after_sigkill_keeps_acknowledged_objects(tmp_path: Path) -> None:
    """
    Objects acknowledged before a SIGKILL are all there, byte for byte, after
    a restart, and the credentials stay the same.
    """
    d = Daemon(tmp_path).start()
    s3 = d.boto3()
    s3.create_bucket(Bucket="keep")
    bodies = {f"k{i}": os.urandom(i * 1000 + 1) for i in range(20)}
    bodies["big"] = os.urandom(3 << 20)
    for key, body in bodies.items():
        s3.put_object(Bucket="keep", Key=key, Body=body)
    keys = d.keys
    d.kill()
    d.start()
    assert d.keys == keys
    s3 = d.boto3()
    for key, body in bodies.items():
        assert s3.get_object(Bucket="keep", Key=key)["Body"].read() == body
    assert d.stop() == 0


def test_existing_file_is_never_truncated(tmp_path: Path) -> None:
    """
    Starting on a file that is not a cartridge fails with a clear message and
    a non-zero exit, and leaves the file exactly as it was.
    """
    target = tmp_path / "precious.cart"
    content = b"not a cartridge, but somebody's data\n" * 100
    target.write_bytes(content)
    d = Daemon(tmp_path, cartridge=target)
    with pytest.raises(RuntimeError) as failure:
        d.start(timeout=30)
    assert "cannot open" in str(failure.value)
    assert target.read_bytes() == content


def test_config_file_is_read(tmp_path: Path) -> None:
    """
    --config points the server at the settings of an INI file.
    """
    conf = tmp_path / "server.conf"
    cart = tmp_path / "from-config.cart"
    conf.write_text(f"[cartridge-s3]\ncartridge = {cart}\nregion = us-east-1\n")
    d = Daemon(tmp_path, "--config", str(conf), cartridge=cart, cartridge_arg=False)
    d.start()
    try:
        d.boto3().create_bucket(Bucket="configured")
    finally:
        assert d.stop() == 0
    assert cart.exists()
