"""
Hardened XML parsing of request bodies and rendering of S3 response bodies (lxml).

Parsers (L{cartridge_d.xmlcodec.parse}) raise L{MalformedXML} for anything
but a well-formed body of the expected shape; renderers
(L{cartridge_d.xmlcodec.render}, L{cartridge_d.xmlcodec.render_listing},
L{cartridge_d.xmlcodec.render_multipart}) take plain values and the frozen
values of L{cartridge_d.xmlcodec.model} and return bytes.
"""

from cartridge_d.xmlcodec.errors import MalformedXML
from cartridge_d.xmlcodec.parse import (
    parse_complete_multipart_upload,
    parse_create_bucket_configuration,
    parse_delete,
    parse_versioning_configuration,
)
from cartridge_d.xmlcodec.render import (
    render_access_control_policy,
    render_copy_result,
    render_delete_result,
    render_error,
    render_list_buckets,
    render_location,
    render_versioning,
)
from cartridge_d.xmlcodec.render_listing import (
    render_list_objects_v1,
    render_list_objects_v2,
    render_list_parts,
    render_list_uploads,
    render_list_versions,
)
from cartridge_d.xmlcodec.render_multipart import (
    render_complete_multipart,
    render_initiate_multipart,
)

__all__ = [
    "MalformedXML",
    "parse_complete_multipart_upload",
    "parse_create_bucket_configuration",
    "parse_delete",
    "parse_versioning_configuration",
    "render_access_control_policy",
    "render_complete_multipart",
    "render_copy_result",
    "render_delete_result",
    "render_error",
    "render_initiate_multipart",
    "render_list_buckets",
    "render_list_objects_v1",
    "render_list_objects_v2",
    "render_list_parts",
    "render_list_uploads",
    "render_list_versions",
    "render_location",
    "render_versioning",
]
