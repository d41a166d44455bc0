"""
The journal's errors, one per condition (bbolt's errors.go style).
"""

from __future__ import annotations


class JournalError(Exception):
    """
    Base of every journal error.
    """


class NotAJournal(JournalError):
    """
    The file is not a journal this version can read (magic, header checksum or major
    version); it is left untouched.
    """


class JournalFailed(JournalError):
    """
    A write or sync failed; the journal accepts nothing more until it is reopened.
    """


class JournalClosed(JournalError):
    """
    The journal was closed.
    """


class NoSuchUpload(JournalError):
    """
    No in-progress upload has this id (never created, completed or aborted).
    """


class InvalidPartNumber(JournalError):
    """
    A part number outside 1-10000.
    """
