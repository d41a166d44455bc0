"""
respond.header_text: how a response header line is written, and the
bound on the names it remembers.
"""

from __future__ import annotations

from cartridge_d.s3 import respond


def test_header_lines_as_s3_writes_them() -> None:
    """
    x-amz-* names go out in lower case, other names as given, line breaks
    in values become spaces; the same name written again gives the same
    line.
    """
    for _ in range(2):
        assert respond.header_text("X-Amz-Meta-Mtime", "1") == "x-amz-meta-mtime: 1\r\n"
        assert respond.header_text("ETag", '"e"') == 'ETag: "e"\r\n'
        assert respond.header_text("Content-Type", "a\r\nb\rc\nd") == "Content-Type: a b c d\r\n"


def test_remembered_names_are_bounded() -> None:
    """
    Names from clients (user metadata) cannot grow the remembered names
    past their bound, and a name past it is still written right.
    """
    for i in range(respond._PREFIX_CACHE_SIZE + 10):
        assert respond.header_text(f"X-Amz-Meta-N{i}", "v") == f"x-amz-meta-n{i}: v\r\n"
    assert len(respond._PREFIXES) <= respond._PREFIX_CACHE_SIZE
