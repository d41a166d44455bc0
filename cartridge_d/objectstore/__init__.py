"""
S3 semantics (buckets, objects, listings, copies) over the engine, behind one thread-pool facade.

L{ObjectStore} is the entry point; its errors are in
L{cartridge_d.objectstore.errors}, its values in
L{cartridge_d.objectstore.model}, and the pure helpers the S3 layer may
call directly (Range parsing, conditions, continuation tokens) in
L{cartridge_d.objectstore.validation}, L{cartridge_d.objectstore.conditions}
and L{cartridge_d.objectstore.listing}.
"""

from cartridge_d.objectstore.store import ObjectStore

__all__ = ["ObjectStore"]
