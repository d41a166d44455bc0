"""
cartridge-s3: an S3-compatible object server on Twisted that keeps every bucket,
object, version and in-flight upload in one cartridge file.
"""

from cartridge_d._version import __version__

__all__ = ["__version__"]
