"""
The writer process of the kill -9 test: commits objects from several
threads and prints "OK key" only after put_object returned (durable), and
"DEL key" after a delete returned. Killed with SIGKILL at a random moment.

Usage: python crash_writer.py PATH CYCLE THREADS
"""

from __future__ import annotations

import hashlib
import sys
import threading

from cartridge_d.engine import BucketExists, BucketRecord, Cartridge, ObjectRecord


def content(key: str) -> bytes:
    """
    The body of C{key}: deterministic, 0 bytes to ~150 KB, some inline.
    """
    h = hashlib.sha256(key.encode()).digest()
    size = int.from_bytes(h[:4], "little") % 150_000
    if h[4] < 64:
        size %= 1000
    return (h * (size // 32 + 1))[:size]


def main() -> None:
    path, cycle, nthreads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cart = Cartridge.open(path, blocks=64)
    try:
        cart.put_bucket(BucketRecord("b", "owner", 1))
    except BucketExists:
        pass
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def work(t: int) -> None:
        i = 0
        while True:
            key = "c%02d-t%d-%05d" % (cycle, t, i)
            data = content(key)
            w = cart.writer(len(data))
            for off in range(0, len(data), 65536):
                w.write(data[off:off + 65536])
            ref = w.finish()
            cart.put_object(ObjectRecord("b", key, len(data), ref.md5.hex(), 1, segments=(ref,)))
            say("OK " + key)
            if i % 4 == 3:
                old = "c%02d-t%d-%05d" % (cycle, t, i - 2)
                cart.delete_object("b", old)
                say("DEL " + old)
            i += 1

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(nthreads)]
    for th in threads:
        th.start()
    say("READY")
    for th in threads:
        th.join()


if __name__ == "__main__":
    main()
