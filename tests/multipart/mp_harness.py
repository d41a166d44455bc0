"""
The S3 site in memory (tests/s3/s3_harness.py) over a real cartridge on a
temporary file and a real journal beside it, with helpers for the
multipart requests and for checking that nothing leaked.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import zlib
from pathlib import Path
from typing import Any

from twisted.logger import Logger

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "s3"))

from s3_harness import ALICE, BOB, Reply, S3Harness  # noqa: E402

from cartridge_d.auth.credentials import CredentialStore  # noqa: E402
from cartridge_d.engine import Cartridge  # noqa: E402
from cartridge_d.journal import Journal  # noqa: E402
from cartridge_d.objectstore.store import ObjectStore  # noqa: E402
from cartridge_d.objectstore.threads import BlockingFacade  # noqa: E402
from cartridge_d.s3.site import make_site  # noqa: E402
from cartridge_d.testing.threads import ImmediateReactor  # noqa: E402

__all__ = ["ALICE", "BOB", "MIB", "MultipartHarness", "Reply", "crc32_b64", "md5_etag",
           "multipart_etag", "tag", "complete_xml"]

MIB = 1024 * 1024


def md5_etag(data: bytes) -> str:
    """The quoted ETag of a single body."""
    return '"%s"' % hashlib.md5(data).hexdigest()


def multipart_etag(*parts: bytes) -> str:
    """The quoted md5-of-md5s-N ETag of an object made of C{parts}."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def crc32_b64(data: bytes) -> str:
    """The x-amz-checksum-crc32 value of C{data}."""
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def tag(body: bytes, name: str) -> list[str]:
    """The texts of every <name> element of an XML body (no nesting)."""
    return [t.decode() for t in re.findall(rf"<{name}>(.*?)</{name}>".encode(), body)]


def complete_xml(parts: list[tuple[int, str]], extra: dict[int, str] | None = None) -> bytes:
    """
    A CompleteMultipartUpload body listing (part number, ETag) pairs as
    given; C{extra} adds raw XML inside a part's element.
    """
    extra = extra or {}
    inner = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag>{extra.get(n, '')}</Part>"
        for n, etag in parts
    )
    return f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()


class MultipartHarness(S3Harness):
    """
    An S3Harness whose store has a real cartridge and journal.
    """

    def __init__(self, directory: Path, pool: Any = None, **journal_options: Any) -> None:
        """
        @param journal_options: passed to L{Journal.open} (compaction thresholds).
        """
        self.path = str(directory / "mp.cart")
        self.cart = Cartridge.open(self.path, blocks=1024)
        self.journal = Journal.open(self.path + ".journal", **journal_options)
        super().__init__(pool=pool, cartridge=self.cart)
        facade = BlockingFacade(ImmediateReactor(), self.pool)
        self.store = ObjectStore(self.cart, facade, self.clock, journal=self.journal)
        log = Logger(namespace="test", observer=self.events.append)
        self.site = make_site(self.store, CredentialStore([ALICE, BOB]), region="us-east-1",
                              domain=None, clock=self.clock, log=log)

    def close(self) -> None:
        """Close the journal and the cartridge."""
        self.journal.close()
        self.cart.close()

    # requests

    def create(self, bucket: str, key: str, headers: dict[str, str] | None = None) -> str:
        """CreateMultipartUpload, asserting success; the upload id."""
        reply = self.call("POST", f"/{bucket}/{key}?uploads", headers=headers)
        assert reply.status == 200, reply.body
        return tag(reply.body, "UploadId")[0]

    def part(self, bucket: str, key: str, upload_id: str, number: int | str, body: bytes,
             headers: dict[str, str] | None = None) -> Reply:
        """UploadPart."""
        return self.call("PUT", f"/{bucket}/{key}?partNumber={number}&uploadId={upload_id}",
                         body, headers=headers)

    def complete(self, bucket: str, key: str, upload_id: str, body: bytes) -> Reply:
        """CompleteMultipartUpload with a raw XML body."""
        return self.call("POST", f"/{bucket}/{key}?uploadId={upload_id}", body)

    def complete_parts(self, bucket: str, key: str, upload_id: str, bodies: list[bytes]) -> Reply:
        """CompleteMultipartUpload listing parts 1..n with the ETags of C{bodies}."""
        listed = [(n, md5_etag(b)) for n, b in enumerate(bodies, 1)]
        return self.complete(bucket, key, upload_id, complete_xml(listed))

    # invariants

    def detached(self) -> set[Any]:
        """The DataRefs the cartridge holds as detached data with the journal's tag."""
        return {ref for owner, ref in self.cart.list_detached() if owner.startswith(b"mpu/")}

    def assert_no_leak(self) -> None:
        """
        Every detached block is held by exactly one live part and the other
        way round (inline parts need no blocks).
        """
        held = {ref for ref in self.journal.held_refs() if ref.extents}
        assert held == self.detached()
