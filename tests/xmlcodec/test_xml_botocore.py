"""
The rendered bodies as botocore (boto3, aws-cli) reads them: keys with
spaces, plus signs, percent signs and non-ASCII characters come back
unchanged through the encoding-type=url round trip.
"""

from __future__ import annotations

from typing import Any

import pytest

from cartridge_d.xmlcodec import render_list_objects_v1, render_list_objects_v2
from cartridge_d.xmlcodec.model import ListingV1, ListingV2, ObjectEntry, Owner

botocore_session = pytest.importorskip("botocore.session")

AWKWARD = ["a b", "a+b", "100%", "ä/ö ü", "x%20y", "semi;colon&amp"]


def _parse(operation: str, body: bytes) -> Any:
    """
    Parse C{body} with botocore's parser for C{operation}, running the
    url-decoding handlers botocore registers.
    """
    from botocore import handlers
    from botocore.parsers import create_parser

    session = botocore_session.get_session()
    model = session.get_service_model("s3").operation_model(operation)
    parsed = create_parser("rest-xml").parse(
        {"status_code": 200, "headers": {}, "body": body}, model.output_shape
    )
    decoder = {"ListObjects": handlers.decode_list_object, "ListObjectsV2": handlers.decode_list_object_v2}
    decoder[operation](parsed=parsed, context={"encoding_type_auto_set": True})
    return parsed


def test_v1_keys_round_trip_through_botocore() -> None:
    """
    boto3's list_objects gets the exact keys back from a url-encoded v1
    listing.
    """
    entries = tuple(ObjectEntry(k, 0, "e", 1, Owner("o")) for k in AWKWARD)
    body = render_list_objects_v1(ListingV1("b", "", "", 1000, False, contents=entries, encoding_type="url"))
    parsed = _parse("ListObjects", body)
    assert [c["Key"] for c in parsed["Contents"]] == AWKWARD
    assert parsed["Contents"][0]["ETag"] == '"e"'


def test_v2_keys_round_trip_through_botocore() -> None:
    """
    boto3's list_objects_v2 gets the exact keys, prefixes and start-after
    back from a url-encoded v2 listing.
    """
    entries = tuple(ObjectEntry(k, 0, "e", 1) for k in AWKWARD)
    listing = ListingV2("b", "", 1000, True, "/", None, "tok", "a+b c", entries, ("p q+/",), "url")
    parsed = _parse("ListObjectsV2", render_list_objects_v2(listing))
    assert [c["Key"] for c in parsed["Contents"]] == AWKWARD
    assert parsed["StartAfter"] == "a+b c"
    assert parsed["CommonPrefixes"] == [{"Prefix": "p q+/"}]
    assert parsed["KeyCount"] == len(AWKWARD) + 1
    assert parsed["NextContinuationToken"] == "tok"
