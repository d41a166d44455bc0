"""
The service side of multipart uploads: the --multipart-expiry option (and
its config-file twin), and the daemon's timer aborting an expired upload.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from twisted.python import usage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Daemon  # noqa: E402

from cartridge_d.service.options import Options, parse_duration  # noqa: E402


@pytest.mark.parametrize("text, seconds", [("7d", 604800.0), ("12h", 43200.0), ("30m", 1800.0),
                                           ("3600s", 3600.0), ("90", 90.0), ("1w", 604800.0)])
def test_durations(text: str, seconds: float) -> None:
    """
    Durations take s, m, h, d and w units; a bare number is seconds.
    """
    assert parse_duration(text) == seconds


def test_expiry_option_default_config_and_errors(tmp_path: Path) -> None:
    """
    --multipart-expiry defaults to 7 days, can be set in the config file,
    and a value that is no duration is a usage error naming the option.
    """
    options = Options()
    options.parseOptions([])
    assert options.settings is not None and options.settings.multipart_expiry == 7 * 86400
    conf = tmp_path / "c.conf"
    conf.write_text("[cartridge-s3]\nmultipart-expiry = 12h\n")
    options = Options()
    options.parseOptions(["--config", str(conf)])
    assert options.settings is not None and options.settings.multipart_expiry == 43200
    with pytest.raises(usage.UsageError, match="multipart-expiry"):
        Options().parseOptions(["--multipart-expiry", "soon"])


def test_daemon_aborts_expired_uploads(tmp_path: Path) -> None:
    """
    With --multipart-expiry 2s the daemon's timer aborts an upload left
    alone: ListParts soon answers NoSuchUpload, and the log says so.
    """
    daemon = Daemon(tmp_path, "--multipart-expiry", "2s").start()
    try:
        client = daemon.boto3()
        client.create_bucket(Bucket="bkt")
        upload_id = client.create_multipart_upload(Bucket="bkt", Key="k")["UploadId"]
        client.upload_part(Bucket="bkt", Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")
        deadline = time.monotonic() + 30
        code = ""
        while time.monotonic() < deadline and code != "NoSuchUpload":
            time.sleep(0.5)
            try:
                client.list_parts(Bucket="bkt", Key="k", UploadId=upload_id)
            except ClientError as e:
                code = e.response["Error"]["Code"]
        assert code == "NoSuchUpload"
        assert "expired multipart upload" in daemon.log()
    finally:
        assert daemon.stop() == 0, daemon.log()
