"""
Constants of the journal file format, and nothing else (docs/journal.md, "File layout",
"Frames" and "Record types"); the codecs are in L{cartridge_d.journal.records} and
L{cartridge_d.journal.log}.
"""

from __future__ import annotations

import struct

#: The first 8 bytes of every journal.
MAGIC = b"CARTJNL\0"
#: A reader refuses a major version it does not know.
VERSION_MAJOR = 1
#: New record types a reader of an older minor version may skip.
VERSION_MINOR = 0

#: magic, major, minor, masked CRC32C of the first 12 bytes.
HEADER = struct.Struct("<8sHHI")
HEADER_SIZE = HEADER.size

#: masked CRC32C (of length, type and payload), payload length, record type.
FRAME = struct.Struct("<IIB")
FRAME_HEADER_SIZE = FRAME.size
#: A payload longer than this is damage, not a record.
MAX_PAYLOAD = 64 << 20

# Record types (docs/journal.md, "Record types").
UPLOAD_CREATED = 1
PART_STORED = 2
PART_REPLACED = 3
UPLOAD_COMPLETED = 4
UPLOAD_ABORTED = 5

# Reasons in an "upload aborted" record.
ABORT_CLIENT = 0
ABORT_EXPIRED = 1
ABORT_RECOVERY = 2

# DataRef kinds inside a payload.
REF_INLINE = 0
REF_EXTENTS = 1

#: The LevelDB CRC mask delta.
MASK_DELTA = 0xA282EAD8

#: Owner tags of detached data that belongs to the journal start with this.
PART_TAG_PREFIX = b"mpu/"

#: Suffixes of the files beside the journal.
COMPACT_SUFFIX = ".compact"
DAMAGED_SUFFIX = ".damaged-"

#: Compact when the file is this many times its live state ...
COMPACT_RATIO = 4
#: ... and at least this large.
COMPACT_MIN_BYTES = 64 << 10

#: Bytes in an upload id: 8 of creation time, 17 random; 40 base32hex characters.
UPLOAD_ID_TIME_BYTES = 8
UPLOAD_ID_RANDOM_BYTES = 17
