"""
Multipart uploads: routed here, answered NotImplemented until the object
store offers uploads (then each handler becomes a thin call, like
L{cartridge_d.s3.objects}).

test-case-name: tests.s3.test_s3_routing
"""

from __future__ import annotations

from typing import Any

from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.errors import s3_error


async def _not_yet(call: Call) -> Response:
    raise s3_error("NotImplemented", "Multipart uploads are not implemented yet.")


async def open_part(call: Call) -> Any:
    """
    Before an UploadPart body: refused until uploads exist.
    """
    raise s3_error("NotImplemented", "Multipart uploads are not implemented yet.")


create_upload = upload_part = upload_part_copy = _not_yet
complete_upload = abort_upload = list_parts = list_uploads = _not_yet
