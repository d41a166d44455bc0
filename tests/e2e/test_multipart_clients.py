"""
Multipart uploads from the real clients against the real daemon, every
object compared byte for byte: aws-cli (8 MiB parts with CRC32), boto3
upload_file (10 threads, 5 MiB parts), rclone (5 MiB chunks, verifying the
md5-of-md5s ETag itself) and s3cmd (5 MiB chunks).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path


from harness import Daemon, require_tool
from test_awscli import aws  # noqa: F401  (the aws-cli fixture, shared)

MIB = 1024 * 1024


def _run(argv: list[str], env: dict[str, str]) -> bytes:
    r = subprocess.run(argv, env=env, capture_output=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(argv)}:\n{r.stdout!r}\n{r.stderr.decode()}"
    return r.stdout


def _source(directory: Path, size: int) -> Path:
    path = directory / f"src-{size}.bin"
    with open(path, "wb") as f:
        for _ in range(size // MIB):
            f.write(os.urandom(MIB))
        f.write(os.urandom(size % MIB))
    return path


def _multipart_etag(path: Path, part_size: int) -> str:
    """The md5-of-md5s ETag S3 gives C{path} uploaded in C{part_size} parts."""
    digests = []
    with open(path, "rb") as f:
        while chunk := f.read(part_size):
            digests.append(hashlib.md5(chunk).digest())
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


def _same(daemon: Daemon, bucket: str, key: str, source: Path, part_size: int) -> None:
    """The stored object is the source, with the multipart ETag."""
    client = daemon.boto3()
    got = client.get_object(Bucket=bucket, Key=key)
    assert got["ETag"] == _multipart_etag(source, part_size)
    digest = hashlib.sha256()
    for chunk in got["Body"].iter_chunks(MIB):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_aws_cli_cp_100_mib(aws, daemon: Daemon, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """
    aws s3 cp of 100 MiB: 13 parts of 8 MiB (CRC32 on each, as aws-cli
    sends them), completed into the same bytes, and copied back down.
    """
    daemon.boto3().create_bucket(Bucket="mp-awscli")
    source = _source(tmp_path, 100 * MIB)
    aws("s3", "cp", str(source), "s3://mp-awscli/big.bin")
    _same(daemon, "mp-awscli", "big.bin", source, 8 * MIB)
    aws("s3", "cp", "s3://mp-awscli/big.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()


def test_boto3_upload_file_10_threads(daemon: Daemon, tmp_path: Path) -> None:
    """
    boto3 upload_file with 10 threads and 5 MiB parts: at least ten parts
    in flight at once for one upload, completed into the same bytes.
    """
    from boto3.s3.transfer import TransferConfig

    client = daemon.boto3(max_pool_connections=10)
    client.create_bucket(Bucket="mp-boto3")
    source = _source(tmp_path, 60 * MIB + 12345)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
                            max_concurrency=10)
    client.upload_file(str(source), "mp-boto3", "threads.bin", Config=config)
    _same(daemon, "mp-boto3", "threads.bin", source, 5 * MIB)


def test_rclone_multipart_etag(daemon: Daemon, tmp_path: Path) -> None:
    """
    rclone copy with 5 MiB chunks and --s3-use-multipart-etag=true: rclone
    checks the md5-of-md5s ETag itself, then rclone check agrees.
    """
    exe = require_tool("rclone")
    conf = tmp_path / "rclone.conf"
    conf.write_text(
        "[cart]\ntype = s3\nprovider = Other\n"
        f"access_key_id = {daemon.keys.access_key}\n"
        f"secret_access_key = {daemon.keys.secret_key}\n"
        f"endpoint = {daemon.endpoint}\nregion = us-east-1\n")
    env = dict(os.environ, RCLONE_CONFIG=str(conf), HOME=str(tmp_path))
    env.pop("AWS_CA_BUNDLE", None)
    src = tmp_path / "src"
    src.mkdir()
    source = _source(src, 23 * MIB + 7)
    flags = ["--retries", "1", "--low-level-retries", "1", "--s3-chunk-size", "5M",
             "--s3-upload-cutoff", "5M", "--s3-use-multipart-etag=true"]
    _run([exe, *flags, "mkdir", "cart:mp-rclone"], env)
    _run([exe, *flags, "copy", str(src), "cart:mp-rclone"], env)
    _run([exe, *flags, "check", str(src), "cart:mp-rclone"], env)
    _same(daemon, "mp-rclone", source.name, source, 5 * MIB)


def test_s3cmd_multipart(daemon: Daemon, tmp_path: Path) -> None:
    """
    s3cmd put with --multipart-chunk-size-mb=5 (part ETags sent without
    quotes), then get: the same bytes.
    """
    exe = require_tool("s3cmd")
    host = f"127.0.0.1:{daemon.port}"
    cfg = tmp_path / "s3cfg"
    cfg.write_text(
        "[default]\n"
        f"access_key = {daemon.keys.access_key}\nsecret_key = {daemon.keys.secret_key}\n"
        f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\n"
        "bucket_location = us-east-1\n")
    env = dict(os.environ, HOME=str(tmp_path))
    s3cmd = [exe, "-c", str(cfg)]
    source = _source(tmp_path, 17 * MIB + 3)
    _run(s3cmd + ["mb", "s3://mp-s3cmd"], env)
    _run(s3cmd + ["put", "--multipart-chunk-size-mb=5", str(source), "s3://mp-s3cmd/s.bin"], env)
    _same(daemon, "mp-s3cmd", "s.bin", source, 5 * MIB)
    _run(s3cmd + ["get", "s3://mp-s3cmd/s.bin", str(tmp_path / "back.bin")], env)
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()
