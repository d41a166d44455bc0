"""
Uploads survive the daemon: a restart after SIGKILL keeps every
acknowledged part, a torn last journal record is dropped with a warning,
and SIGKILL loops during part uploads and Completes leave every
acknowledged part and object intact, nothing half complete, the cartridge
clean and no block leaked.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Daemon  # noqa: E402

from cartridge_d.engine import Cartridge, check  # noqa: E402
from cartridge_d.journal import Journal  # noqa: E402

MIB = 1024 * 1024


def _assert_consistent(cartridge: Path) -> None:
    """
    Offline, with the daemon stopped: the checker finds no error, and the
    blocks the journal's live parts hold are exactly the cartridge's
    detached data with the journal's tag.
    """
    report = check(str(cartridge))
    assert report.ok, str(report)
    journal = Journal.open(str(cartridge) + ".journal")
    cart = Cartridge.open(str(cartridge), create=False)
    try:
        held = {ref for ref in journal.held_refs() if ref.extents}
        detached = {ref for tag, ref in cart.list_detached() if tag.startswith(b"mpu/")}
        assert held == detached
    finally:
        cart.close()
        journal.close()


def test_parts_survive_sigkill(tmp_path: Path) -> None:
    """
    Two parts uploaded, the daemon SIGKILLed and restarted: ListParts shows
    both with their ETags, the rest is uploaded, and the completed object
    equals the source byte for byte.
    """
    bodies = [os.urandom(5 * MIB), os.urandom(5 * MIB + 1), b"tail"]
    daemon = Daemon(tmp_path).start()
    try:
        client = daemon.boto3()
        client.create_bucket(Bucket="bkt")
        upload_id = client.create_multipart_upload(Bucket="bkt", Key="big")["UploadId"]
        etags = [client.upload_part(Bucket="bkt", Key="big", UploadId=upload_id, PartNumber=n,
                                    Body=bodies[n - 1])["ETag"] for n in (1, 2)]
    finally:
        daemon.kill()
    daemon = Daemon(tmp_path).start()
    try:
        client = daemon.boto3()
        listed = client.list_parts(Bucket="bkt", Key="big", UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["ETag"]) for p in listed] == [(1, etags[0]), (2, etags[1])]
        etags.append(client.upload_part(Bucket="bkt", Key="big", UploadId=upload_id,
                                        PartNumber=3, Body=bodies[2])["ETag"])
        parts = [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]
        client.complete_multipart_upload(Bucket="bkt", Key="big", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
        assert client.get_object(Bucket="bkt", Key="big")["Body"].read() == b"".join(bodies)
    finally:
        assert daemon.stop() == 0, daemon.log()
    _assert_consistent(daemon.cartridge)


def test_torn_last_journal_record(tmp_path: Path) -> None:
    """
    A journal whose last record is cut short (a crash mid-append) opens
    with a logged torn-tail warning; the part of that record is gone, its
    data released, the earlier part kept, and the upload still completes.
    """
    first, second = os.urandom(5 * MIB), os.urandom(100_000)
    daemon = Daemon(tmp_path).start()
    try:
        client = daemon.boto3()
        client.create_bucket(Bucket="bkt")
        upload_id = client.create_multipart_upload(Bucket="bkt", Key="k")["UploadId"]
        etag = client.upload_part(Bucket="bkt", Key="k", UploadId=upload_id, PartNumber=1,
                                  Body=first)["ETag"]
        client.upload_part(Bucket="bkt", Key="k", UploadId=upload_id, PartNumber=2, Body=second)
    finally:
        assert daemon.stop() == 0, daemon.log()
    journal = Path(str(daemon.cartridge) + ".journal")
    with open(journal, "r+b") as f:
        f.truncate(journal.stat().st_size - 7)
    daemon = Daemon(tmp_path).start()
    try:
        assert "torn-tail" in daemon.log()
        client = daemon.boto3()
        listed = client.list_parts(Bucket="bkt", Key="k", UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["ETag"]) for p in listed] == [(1, etag)]
        etag2 = client.upload_part(Bucket="bkt", Key="k", UploadId=upload_id, PartNumber=2,
                                   Body=second)["ETag"]
        client.complete_multipart_upload(
            Bucket="bkt", Key="k", UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag},
                                       {"PartNumber": 2, "ETag": etag2}]})
        assert client.get_object(Bucket="bkt", Key="k")["Body"].read() == first + second
    finally:
        assert daemon.stop() == 0, daemon.log()
    _assert_consistent(daemon.cartridge)


@dataclass
class Acks:
    """
    What the daemon acknowledged, from the clients' side.

    @ivar parts: (upload id, part number) -> ETag of acknowledged parts.
    @ivar objects: key -> body of acknowledged Completes.
    @ivar attempted: key -> (upload id, body) of every Complete sent.
    @ivar keys: upload id -> key of every upload created.
    """

    parts: dict[tuple[str, int], str] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)
    attempted: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _small_uploads(client: Any, acks: Acks, cycle: int, stop: threading.Event) -> None:
    """
    Many small one- or two-part uploads completed in a loop, so that a kill
    often lands during a Complete.
    """
    for i in range(200):
        if stop.is_set():
            return
        key = f"c{cycle}-{i}"
        bodies = [os.urandom(5 * MIB), os.urandom(3000)] if i % 4 == 0 else [os.urandom(2000 + i)]
        try:
            upload_id = client.create_multipart_upload(Bucket="bkt", Key=key)["UploadId"]
            with acks.lock:
                acks.keys[upload_id] = key
            parts = []
            for n, body in enumerate(bodies, 1):
                etag = client.upload_part(Bucket="bkt", Key=key, UploadId=upload_id,
                                          PartNumber=n, Body=body)["ETag"]
                with acks.lock:
                    acks.parts[(upload_id, n)] = etag
                parts.append({"PartNumber": n, "ETag": etag})
            with acks.lock:
                acks.attempted[key] = (upload_id, b"".join(bodies))
            client.complete_multipart_upload(Bucket="bkt", Key=key, UploadId=upload_id,
                                             MultipartUpload={"Parts": parts})
            with acks.lock:
                acks.objects[key] = b"".join(bodies)
        except Exception:
            return


def _long_upload(client: Any, upload_id: str, acks: Acks, seed: int, stop: threading.Event) -> None:
    """
    Parts of one long-lived upload, re-uploading part numbers (replacing
    them), until stopped or killed.
    """
    rng = random.Random(seed)
    for _ in range(100):
        if stop.is_set():
            return
        n = rng.randint(1, 6)
        try:
            etag = client.upload_part(Bucket="bkt", Key="long", UploadId=upload_id, PartNumber=n,
                                      Body=os.urandom(rng.randint(1, 3 * MIB)))["ETag"]
        except Exception:
            return
        with acks.lock:
            acks.parts[(upload_id, n)] = etag


def _verify(client: Any, acks: Acks, long_id: str) -> None:
    """
    After a restart: acknowledged objects are whole; a Complete that was
    sent but not answered either made the whole object or left the upload
    with its parts; acknowledged parts of live uploads are listed with the
    last acknowledged ETag (or a later unacknowledged replacement).
    """
    for key, body in acks.objects.items():
        assert client.get_object(Bucket="bkt", Key=key)["Body"].read() == body, key
    live = {u["UploadId"] for u in client.list_multipart_uploads(Bucket="bkt").get("Uploads", [])}
    for key, (upload_id, body) in acks.attempted.items():
        if key in acks.objects:
            assert upload_id not in live
            continue
        try:
            got = client.get_object(Bucket="bkt", Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            assert upload_id in live, key
        else:
            assert got == body, f"{key} is half complete"
    assert long_id in live
    listed = {p["PartNumber"]: p["ETag"]
              for p in client.list_parts(Bucket="bkt", Key="long", UploadId=long_id)["Parts"]}
    for (upload_id, n), etag in acks.parts.items():
        if upload_id == long_id:
            assert n in listed
        elif upload_id in live:
            parts = client.list_parts(Bucket="bkt", Key=acks.keys[upload_id],
                                      UploadId=upload_id)["Parts"]
            assert (n, etag) in [(p["PartNumber"], p["ETag"]) for p in parts]


def test_sigkill_loops_during_parts_and_completes(tmp_path: Path) -> None:
    """
    Eight cycles of: three clients uploading parts and completing uploads,
    SIGKILL at a random moment, restart, verify. Every acknowledged part
    and object survives, nothing half complete is visible, and at the end
    the checker is clean and the journal's parts hold exactly the detached
    blocks.
    """
    rng = random.Random(5)
    acks = Acks()
    daemon = Daemon(tmp_path).start()
    client = daemon.boto3()
    client.create_bucket(Bucket="bkt")
    long_id = client.create_multipart_upload(Bucket="bkt", Key="long")["UploadId"]
    deadline = time.monotonic() + 90
    for cycle in range(8):
        if time.monotonic() > deadline:
            break
        stop = threading.Event()
        workers = [
            threading.Thread(target=_small_uploads, args=(daemon.boto3(), acks, cycle, stop)),
            threading.Thread(target=_long_upload, args=(daemon.boto3(), long_id, acks, cycle, stop)),
            threading.Thread(target=_long_upload, args=(daemon.boto3(), long_id, acks, -cycle, stop)),
        ]
        for worker in workers:
            worker.start()
        time.sleep(rng.uniform(0.3, 1.5))
        daemon.kill()
        stop.set()
        for worker in workers:
            worker.join(30)
        daemon = Daemon(tmp_path).start()
        _verify(daemon.boto3(), acks, long_id)
    assert daemon.stop() == 0, daemon.log()
    assert acks.objects, "no Complete was acknowledged at all"
    _assert_consistent(daemon.cartridge)
