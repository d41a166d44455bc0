"""
The multipart upload journal: append-only, checksummed, replayed at start (docs/journal.md).
Synchronous and thread-safe; imports neither Twisted nor lxml, and of the engine only its
value types.
"""

from .errors import (
    InvalidPartNumber,
    JournalClosed,
    JournalError,
    JournalFailed,
    NoSuchUpload,
    NotAJournal,
)
from .format import ABORT_CLIENT, ABORT_EXPIRED, ABORT_RECOVERY
from .journal import Journal, log_reporter
from .model import (
    PartInfo,
    PartListing,
    ReplayEvent,
    Upload,
    UploadInfo,
    UploadListing,
    part_owner_tag,
)

__all__ = [
    "ABORT_CLIENT",
    "ABORT_EXPIRED",
    "ABORT_RECOVERY",
    "InvalidPartNumber",
    "Journal",
    "JournalClosed",
    "JournalError",
    "JournalFailed",
    "NoSuchUpload",
    "NotAJournal",
    "PartInfo",
    "PartListing",
    "ReplayEvent",
    "Upload",
    "UploadInfo",
    "UploadListing",
    "log_reporter",
    "part_owner_tag",
]
