"""
The `cartridge` command sees what the daemon's multipart journal holds:
`info` lists uploads in progress, and `fsck` accounts for their blocks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness import REPO, Daemon


def cartridge(*argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "cartridge_d.cli.main", *argv], env=env,
                          capture_output=True, text=True, timeout=120)


def test_info_and_fsck_see_uploads_in_progress(tmp_path: Path) -> None:
    """
    After a daemon stops with a multipart upload in progress, `cartridge
    info` lists the upload and `cartridge fsck` is clean and counts its
    parts' blocks as held by the journal.
    """
    d = Daemon(tmp_path).start()
    try:
        s3 = d.boto3()
        s3.create_bucket(Bucket="uploads")
        upload = s3.create_multipart_upload(Bucket="uploads", Key="half/done.bin")["UploadId"]
        for n in (1, 2):
            s3.upload_part(Bucket="uploads", Key="half/done.bin", UploadId=upload, PartNumber=n,
                           Body=os.urandom(5 << 20))
    finally:
        assert d.stop() == 0, d.log()
    info = cartridge("info", str(d.cartridge))
    assert info.returncode == 0, info.stderr
    counts = dict(line.rsplit(None, 1) for line in info.stdout.splitlines()
                  if line.startswith(("uploads in progress", "detached parts")))
    assert counts == {"uploads in progress": "1", "detached parts": "2"}
    assert upload in info.stdout and "uploads/half/done.bin" in info.stdout and "2 parts" in info.stdout
    fsck = cartridge("fsck", str(d.cartridge), "--data")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "journal parts 2, detached 2" in fsck.stdout
