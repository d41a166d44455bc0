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
    try:
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
    finally:
        code = d.stop()
    assert code == 0, d.log()


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


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """
    A key and a self-signed certificate for 127.0.0.1, made with cryptography.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def test_tls_listener(tmp_path: Path) -> None:
    """
    An ssl: endpoint with a key and certificate serves S3 over HTTPS (recent
    botocore then sends aws-chunked uploads with a trailing checksum), beside
    plain TCP.
    """
    import boto3
    from botocore.config import Config

    key, cert = _self_signed(tmp_path)
    d = Daemon(tmp_path, "--listen",
               f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}")
    d.start()
    try:
        tls_port = d.ports[1]
        s3 = boto3.client("s3", endpoint_url=f"https://127.0.0.1:{tls_port}", verify=str(cert),
                          aws_access_key_id=d.keys.access_key,
                          aws_secret_access_key=d.keys.secret_key, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"},
                                        retries={"max_attempts": 1}))
        s3.create_bucket(Bucket="secure")
        body = os.urandom(200_000)
        s3.put_object(Bucket="secure", Key="k", Body=body)
        assert s3.get_object(Bucket="secure", Key="k")["Body"].read() == body
        assert d.boto3().get_object(Bucket="secure", Key="k")["Body"].read() == body
    finally:
        assert d.stop() == 0, d.log()


def test_fuses_are_fixed_at_creation(tmp_path: Path) -> None:
    """
    Fuse options only apply when the cartridge is created: a later start
    with different fuses logs a warning and keeps the cartridge's own.
    """
    from cartridge_d.engine import Cartridge

    d = Daemon(tmp_path, "--s3-acl", "record")
    d.start()
    assert d.stop() == 0
    d = Daemon(tmp_path, "--s3-acl", "enforce", "--s3-sse", "transparent")
    d.start()
    assert d.stop() == 0
    assert "differ" in d.log()
    cart = Cartridge.open(str(d.cartridge), create=False)
    try:
        assert (cart.fuses.acl, cart.fuses.sse) == (1, 0)
    finally:
        cart.close()


def test_max_size_is_a_clean_error(tmp_path: Path) -> None:
    """
    With --max-size, a PUT that does not fit fails with a clean error, the
    server keeps running, and everything stored before is intact.
    """
    from botocore.exceptions import ClientError

    d = Daemon(tmp_path, "--max-size", "4M", "--blocks", "256")
    d.start()
    try:
        s3 = d.boto3()
        s3.create_bucket(Bucket="small")
        kept = os.urandom(100_000)
        s3.put_object(Bucket="small", Key="kept", Body=kept)
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket="small", Key="huge", Body=os.urandom(8 << 20))
        assert e.value.response["Error"]["Code"] == "InsufficientStorage"
        assert s3.get_object(Bucket="small", Key="kept")["Body"].read() == kept
        s3.put_object(Bucket="small", Key="after", Body=b"still works")
    finally:
        assert d.stop() == 0, d.log()
    assert os.path.getsize(d.cartridge) <= 4 << 20


@pytest.mark.parametrize("problem", ["port in use", "cartridge cannot be opened"])
def test_failed_start_exits(tmp_path: Path, problem: str) -> None:
    """
    A daemon that cannot start (its port is taken, or its cartridge path
    cannot be created) exits with a non-zero status and says why, instead
    of staying up and serving nothing: an idle thread pool must not keep
    the process alive.
    """
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        if problem == "port in use":
            cartridge = tmp_path / "c.cart"
            listen = f"tcp:{taken.getsockname()[1]}:interface=127.0.0.1"
            expected = "Address already in use"
        else:
            cartridge = tmp_path / "missing-dir" / "c.cart"
            listen = "tcp:0:interface=127.0.0.1"
            expected = "cannot open"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        try:
            done = subprocess.run(
                [sys.executable, "-c", TWISTD, "--nodaemon", "--pidfile=", "cartridge-s3",
                 "--cartridge", str(cartridge), "--listen", listen],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the daemon stayed up after a failed start")
    finally:
        taken.close()
    assert done.returncode != 0
    assert expected in done.stdout + done.stderr
