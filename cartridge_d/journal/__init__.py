"""
The multipart upload journal: append-only, checksummed, replayed at start. Synchronous; no Twisted, no lxml.
"""
