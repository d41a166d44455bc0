"""
Provides cartridge_d version information.
"""

# This file is auto-generated! Do not edit!
# Use `python -m incremental.update cartridge_d` to change this file.

from incremental import Version

__version__ = Version("cartridge_d", 0, 1, 0)
__all__ = ["__version__"]
