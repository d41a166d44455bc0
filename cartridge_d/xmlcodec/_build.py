"""
Shared pieces of the renderers: the namespace, element building, time and
URL formatting, and serialisation.

S3 keys may contain characters that XML 1.0 cannot carry (control
characters below 0x20). lxml refuses such text, while S3 writes them as
character references; clients that cannot read those retry with
encoding-type=url. L{Document} keeps the S3 behaviour: such text goes in
as a random placeholder that is replaced by escaped text after
serialisation.

test-case-name: tests.xmlcodec.test_xml_render
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from urllib.parse import quote

from lxml import etree

#: The namespace of every S3 response body except Error.
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

#: Written as S3 writes it (lxml would use single quotes).
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso8601(ns: int) -> str:
    """
    Nanoseconds since the epoch as S3 writes times in XML:
    C{2009-10-12T17:50:30.000Z} (UTC, milliseconds).
    """
    seconds, rest = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest // 1_000_000:03d}Z"


def url_encode(value: str) -> str:
    """
    Percent-encode a key-like value as S3 does for encoding-type=url:
    UTF-8, a space as %20, a plus as %2B, "/" kept as is.
    """
    return quote(value, safe="/")


def quote_etag(etag: str) -> str:
    """
    An ETag as it appears in headers and XML: in double quotes.
    """
    return f'"{etag}"'


def _escape(text: str) -> str:
    """
    Escape C{text} for XML element content, writing characters XML 1.0
    cannot carry as numeric character references.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("\r", "&#13;")
    return _XML_ILLEGAL.sub(lambda m: f"&#x{ord(m.group()):X};", text)


class Document:
    """
    Builds one response document.

    @ivar root: the root element.
    """

    def __init__(self, root_tag: str, namespaced: bool = True) -> None:
        self._ns = S3_NS if namespaced else None
        self.root = etree.Element(self._tag(root_tag), nsmap={None: S3_NS} if namespaced else None)
        self._nonce = secrets.token_hex(8)
        self._raw: dict[str, str] = {}

    def _tag(self, name: str) -> str:
        return f"{{{self._ns}}}{name}" if self._ns else name

    def element(self, parent: etree._Element, name: str) -> etree._Element:
        """
        Append an empty child element C{name} to C{parent}.
        """
        return etree.SubElement(parent, self._tag(name))

    def text(self, parent: etree._Element, name: str, value: object) -> etree._Element:
        """
        Append a child element C{name} holding C{value} (bools as
        "true"/"false", everything else as C{str}).
        """
        child = self.element(parent, name)
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        if _XML_ILLEGAL.search(text):
            marker = f"cartridge-{self._nonce}-{len(self._raw)}-"
            self._raw[marker] = _escape(text)
            text = marker
        child.text = text
        return child

    def optional(self, parent: etree._Element, name: str, value: object | None) -> None:
        """
        Append C{name} holding C{value} unless C{value} is None.
        """
        if value is not None:
            self.text(parent, name, value)

    def owner(self, parent: etree._Element, name: str, id: str, display_name: str) -> None:
        """
        Append an Owner-shaped element (ID, DisplayName).
        """
        element = self.element(parent, name)
        self.text(element, "ID", id)
        self.text(element, "DisplayName", display_name)

    def tobytes(self) -> bytes:
        """
        The document with an XML declaration, UTF-8 encoded.
        """
        body: bytes = etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)
        data = XML_DECLARATION + body
        for marker, escaped in self._raw.items():
            data = data.replace(marker.encode("ascii"), escaped.encode("utf-8"), 1)
        return data
