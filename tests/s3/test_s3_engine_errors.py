"""
The one boundary where engine errors become the S3 errors a client sees
(C{objectstore.access.engine_errors}): each engine error maps to one S3
code, with the bucket or key named where S3 names it; anything else
passes through untouched.
"""

from __future__ import annotations

import pytest

from cartridge_d.engine import errors as engine
from cartridge_d.objectstore.access import engine_errors
from cartridge_d.objectstore.errors import S3DomainError


@pytest.mark.parametrize(("raised", "code", "extra"), [
    (engine.NoSuchBucket("b"), "NoSuchBucket", (("BucketName", "bkt"),)),
    (engine.BucketNotEmpty("b"), "BucketNotEmpty", (("BucketName", "bkt"),)),
    (engine.PreconditionFailed("p"), "PreconditionFailed", (("Condition", "If-None-Match"),)),
    (engine.NoSuchData("d"), "NoSuchKey", (("Key", "k/ey"),)),
    (engine.CartridgeFull("f"), "InsufficientStorage", ()),
    (engine.ChecksumMismatch("c"), "InternalError", ()),
])
def test_engine_errors_become_s3_errors(raised: Exception, code: str,
                                        extra: tuple[tuple[str, str], ...]) -> None:
    """
    Each engine error a request can meet is answered with its S3 code,
    naming the bucket or key, and the engine's exception is not chained
    into the traceback.
    """
    with pytest.raises(S3DomainError) as e:
        with engine_errors("bkt", "k/ey"):
            raise raised
    assert e.value.code == code
    for item in extra:
        assert item in e.value.extra
    assert e.value.__suppress_context__


def test_other_errors_and_success_pass_through() -> None:
    """
    A non-engine exception, and an engine error with no S3 meaning
    (Closed), come out unchanged; a block that raises nothing returns
    its value normally.
    """
    with pytest.raises(KeyError):
        with engine_errors("bkt"):
            raise KeyError("x")
    with pytest.raises(engine.Closed):
        with engine_errors("bkt"):
            raise engine.Closed("closed")
    with engine_errors():
        value = 5
    assert value == 5
