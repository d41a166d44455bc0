"""
S3 semantics (buckets, objects, listings, copies) over the engine, behind one thread-pool facade.
"""
