"""
Build script for cartridge-s3.

Metadata lives in setup.cfg; only C{packages} stays here because
incremental's C{use_incremental} hook looks for C{_version.py} among the
packages known when the Distribution is built (see docs/packaging notes).
C{twisted.plugins} is listed explicitly: it has no C{__init__.py} (it must
not, or it would shadow Twisted's own package), so C{find_packages} skips it.
"""

from setuptools import setup

setup(
    use_incremental=True,
    packages=[
        "cartridge_d",
        "cartridge_d.auth",
        "cartridge_d.cli",
        "cartridge_d.engine",
        "cartridge_d.journal",
        "cartridge_d.objectstore",
        "cartridge_d.s3",
        "cartridge_d.service",
        "cartridge_d.testing",
        "cartridge_d.xmlcodec",
        "twisted.plugins",
    ],
)
