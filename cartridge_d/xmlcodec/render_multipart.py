"""
Renderers for the multipart upload answers that are not listings.

test-case-name: tests.xmlcodec.test_xml_render
"""

from __future__ import annotations

from collections.abc import Sequence

from cartridge_d.xmlcodec._build import Document, quote_etag


def render_initiate_multipart(bucket: str, key: str, upload_id: str) -> bytes:
    """
    An InitiateMultipartUploadResult.
    """
    doc = Document("InitiateMultipartUploadResult")
    doc.text(doc.root, "Bucket", bucket)
    doc.text(doc.root, "Key", key)
    doc.text(doc.root, "UploadId", upload_id)
    return doc.tobytes()


def render_complete_multipart(
    location: str,
    bucket: str,
    key: str,
    etag: str,
    checksums: Sequence[tuple[str, str]] = (),
) -> bytes:
    """
    A CompleteMultipartUploadResult; C{etag} is the "<hex>-N" ETag.
    """
    doc = Document("CompleteMultipartUploadResult")
    doc.text(doc.root, "Location", location)
    doc.text(doc.root, "Bucket", bucket)
    doc.text(doc.root, "Key", key)
    doc.text(doc.root, "ETag", quote_etag(etag))
    for algorithm, value in checksums:
        doc.text(doc.root, "Checksum" + algorithm.upper(), value)
    return doc.tobytes()
