"""
The one error the XML codec raises.

Every problem with a request body, whether it is not XML at all, too
large, carries a DOCTYPE or entity declaration, or is well-formed XML of
the wrong shape, becomes L{MalformedXML}: that is the code S3 answers
with in all of these cases, so the HTTP layer needs no finer distinction.

test-case-name: tests.xmlcodec.test_xml_parse
"""

from __future__ import annotations


class MalformedXML(ValueError):
    """
    The request body is not XML this server accepts.

    @ivar detail: why, for logs; the client sees S3's fixed message.
    """

    code = "MalformedXML"
    message = (
        "The XML you provided was not well-formed or did not validate "
        "against our published schema"
    )

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
