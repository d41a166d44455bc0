"""
Numbers that define the cartridge file format, version 2.2.

Every value here is specified, with its reasons, in docs/format.md; this
module only gives them names. Changing one changes the format.

test-case-name: tests.engine.test_engine_properties
"""

#: Bytes 0-7 of both header slots (docs/format.md, "Header slots"). Kept
#: from the Rust original so tools recognise the file family.
MAGIC = b"CART\0\x01\0\0"

#: Format version written (major, minor). The Rust original writes and
#: demands 1.0, so each side refuses the other's files; 2.0 (full keys in
#: leaves, the older record encoding) is refused as older.
VERSION_MAJOR = 2
VERSION_MINOR = 2
#: The oldest minor version of VERSION_MAJOR that is read: a 2.1 file has
#: no CRC entries and every table in its records, which 2.2 still reads;
#: its header says 2.2 from the first commit that writes a CRC entry.
OLDEST_MINOR = 1

#: Size of the used part of a header slot; the CRC32C sits in its last 4 bytes.
HEADER_SIZE = 256
#: Block numbers of the two header slots; all other blocks are pages or data.
HEADER_BLOCKS = (0, 1)
FIRST_USABLE_BLOCK = 2

MIN_BLOCK_SIZE = 4096
MAX_BLOCK_SIZE = 65536
DEFAULT_BLOCK_SIZE = 4096

#: Every metadata page starts with this many bytes of framing
#: (docs/format.md, "Pages").
PAGE_HEADER_SIZE = 16

#: Page types (byte 4 of a page).
PAGE_LEAF = 1
PAGE_BRANCH = 2
PAGE_OVERFLOW = 3
PAGE_FREELIST = 4
PAGE_SNAPSHOTS = 5

#: Catalog key spaces (first element of a catalog key), in listing order.
KIND_BUCKET = 1
KIND_OBJECT = 2
KIND_EXTENT = 3
KIND_DETACHED = 4
#: The CRC32C table of a body of more than one chunk (format 2.2), keyed
#: by its first extent's first block.
KIND_CRCS = 5

#: Object versions sort newest first: the key holds MAX_SEQ - seq.
MAX_SEQ = (1 << 64) - 1
#: A version sequence number is (txn << SEQ_SHIFT) | index-in-commit.
SEQ_SHIFT = 20

#: Data checksums cover chunks of this many bytes (or one block, if larger).
CHUNK_SIZE = 65536

#: Bodies up to this many bytes are stored inline in the object record
#: (capped at a quarter of a block, see docs/format.md "Inline data").
INLINE_MAX = 2048

#: Bucket record encoding format byte.
BUCKET_FORMAT = 1

#: Largest S3 key and bucket name the catalog accepts, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
MAX_BUCKET_BYTES = 255
