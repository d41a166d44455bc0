"""
The cartridge file: a crash-safe single-file block store with a copy-on-write catalog. Synchronous and thread-safe; imports neither Twisted nor lxml.
"""
