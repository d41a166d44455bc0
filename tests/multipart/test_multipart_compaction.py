"""
Complete and the journal's compaction: a Complete that leaves the journal
far over its live state is answered as usual, the compaction it starts in
the background leaves the live uploads alone, and both files reopen clean.

test-case-name: tests.multipart.test_multipart_compaction
"""

from __future__ import annotations

import os
from pathlib import Path

from mp_harness import MIB, MultipartHarness, md5_etag, multipart_etag, tag

from cartridge_d.engine import Cartridge, check
from cartridge_d.journal import Journal

PART = os.urandom(5 * MIB)


def test_complete_that_starts_a_compaction(tmp_path: Path) -> None:
    """
    Fourteen parts (each record with its chunk CRC table) put a journal
    with a 4 KiB minimum over its compaction threshold as soon as their
    upload completes. The Complete answers the object's ETag, the object
    reads back, the journal shrinks to its live state (another upload and
    its part), nothing leaks, and after a restart the other upload still
    completes.
    """
    h = MultipartHarness(tmp_path, compact_min_bytes=4096)
    h.mkbucket("bkt")
    bodies = [PART + bytes([n]) for n in range(14)]
    try:
        other = h.create("bkt", "other")
        assert h.part("bkt", "other", other, 1, b"tail").status == 200
        big = h.create("bkt", "big")
        for n, body in enumerate(bodies, 1):
            assert h.part("bkt", "big", big, n, body).status == 200
        grown = h.journal.file_size()
        reply = h.complete_parts("bkt", "big", big, bodies)
        assert reply.status == 200, reply.body
        assert tag(reply.body, "ETag") == [multipart_etag(*bodies)]
        h.journal.settle()
        assert h.journal.file_size() == h.journal.live_size() < grown // 4
        assert os.path.getsize(h.path + ".journal") == h.journal.file_size()
        h.assert_no_leak()
        assert h.call("GET", "/bkt/big").body == b"".join(bodies)
    finally:
        h.close()
    assert check(h.path).ok
    h = MultipartHarness(tmp_path)
    try:
        assert h.complete_parts("bkt", "other", other, [b"tail"]).status == 200
        assert h.call("GET", "/bkt/other").body == b"tail"
        assert h.call("GET", "/bkt/big").header("etag") == multipart_etag(*bodies)
        h.assert_no_leak()
    finally:
        h.close()
