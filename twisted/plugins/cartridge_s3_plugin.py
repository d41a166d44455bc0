"""
The twistd plugin for cartridge-s3: `twistd cartridge-s3 [options]`.

Kept tiny on purpose: twistd imports every plugin module to list them, so
the real code lives in L{cartridge_d.service.tap} and is imported only when
this plugin is run.
"""

from twisted.application.service import ServiceMaker

cartridgeS3 = ServiceMaker(
    "cartridge-s3",
    "cartridge_d.service.tap",
    "An S3-compatible object server storing everything in one cartridge file.",
    "cartridge-s3",
)
