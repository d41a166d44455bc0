"""
The import direction of DESIGN.md, enforced.

service -> s3 -> {auth, xmlcodec, objectstore} -> {engine, journal}: a lower
layer never imports a higher one, engine/ and journal/ never import Twisted
or lxml (the `cartridge` tool and their tests run without a reactor), and
auth/ stays free of Twisted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cartridge_d"

# For each layer: the top-level modules and cartridge_d sub-packages it may not import.
FORBIDDEN: dict[str, set[str]] = {
    "engine": {"twisted", "lxml", "cartridge_d.journal", "cartridge_d.objectstore",
               "cartridge_d.s3", "cartridge_d.auth", "cartridge_d.xmlcodec",
               "cartridge_d.service"},
    "journal": {"twisted", "lxml", "cartridge_d.objectstore", "cartridge_d.s3",
                "cartridge_d.auth", "cartridge_d.xmlcodec", "cartridge_d.service"},
    "auth": {"twisted", "lxml", "cartridge_d.objectstore", "cartridge_d.s3",
             "cartridge_d.xmlcodec", "cartridge_d.service", "cartridge_d.engine"},
    "xmlcodec": {"twisted", "cartridge_d.objectstore", "cartridge_d.s3", "cartridge_d.service",
                 "cartridge_d.engine", "cartridge_d.journal", "cartridge_d.auth"},
    "objectstore": {"twisted.web", "lxml", "cartridge_d.s3", "cartridge_d.service",
                    "cartridge_d.xmlcodec"},
    "s3": {"cartridge_d.service"},
    "cli": {"twisted", "lxml", "cartridge_d.s3", "cartridge_d.service"},
    # The shared checksum modules at the top of the package serve auth and
    # objectstore alike, so they depend on no layer at all.
    "checksums.py": {"twisted", "lxml", "cartridge_d.engine", "cartridge_d.journal",
                     "cartridge_d.objectstore", "cartridge_d.s3", "cartridge_d.auth",
                     "cartridge_d.xmlcodec", "cartridge_d.service", "cartridge_d.cli"},
}


def imports_of(path: Path) -> set[str]:
    """
    Every module name a source file imports.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer: str) -> None:
    """
    No module of a layer imports what the layering forbids it.
    """
    bad = []
    sources = [PACKAGE / "checksums.py", PACKAGE / "_crc64nvme.py"] if layer == "checksums.py" \
        else sorted((PACKAGE / layer).rglob("*.py"))
    for source in sources:
        for name in imports_of(source):
            for forbidden in FORBIDDEN[layer]:
                if name == forbidden or name.startswith(forbidden + "."):
                    bad.append(f"{source.relative_to(PACKAGE)} imports {name}")
    assert bad == []


def test_journal_uses_only_the_engine_types_and_byte_codec() -> None:
    """
    The journal shares the engine's value types and its byte codec and
    nothing else of it, and that codec depends on no other module of the
    package, so the journal never reaches into the engine's internals.
    """
    allowed = {"cartridge_d.engine.types", "cartridge_d.engine.binary"}
    bad = [f"{source.relative_to(PACKAGE)} imports {name}"
           for source in sorted((PACKAGE / "journal").rglob("*.py"))
           for name in imports_of(source)
           if (name == "cartridge_d.engine" or name.startswith("cartridge_d.engine."))
           and name not in allowed]
    binary = PACKAGE / "engine" / "binary.py"
    bad += [f"engine/binary.py imports {name}" for name in imports_of(binary)
            if name.startswith("cartridge_d")]
    source = binary.read_text()
    bad += ["engine/binary.py has a relative import" for line in source.splitlines()
            if line.startswith("from .")]
    assert bad == []
