"""
Handlers for the service itself (C{GET /}).

test-case-name: tests.s3.test_s3_buckets
"""

from __future__ import annotations

from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.present import owner_of, xml_response
from cartridge_d.xmlcodec import render_list_buckets
from cartridge_d.xmlcodec.model import BucketEntry


async def list_buckets(call: Call) -> Response:
    """
    ListBuckets: the buckets the signer owns.
    """
    records = await call.app.store.list_buckets(call.owner_id)
    entries = [BucketEntry(r.name, r.created_ns, r.region) for r in records]
    return xml_response(render_list_buckets(owner_of(call), entries))
