"""
The module the twistd plugin points at: C{Options} and C{makeService}.

twistd imports this only when C{cartridge-s3} is the chosen plugin, so the
plugin listing stays fast.
"""

from cartridge_d.service.maker import makeService
from cartridge_d.service.options import Options

__all__ = ["Options", "makeService"]
