"""
The access log: one line per request, handed to twisted.logger in batches.

A line reads C{METHOD BUCKET KEY STATUS BYTES DURATIONs REQUEST-ID}, with
C{-} for a missing bucket or key, C{-} as the status of a request whose
client went away before any answer, and C{ (connection lost)} at the end
of a request cut short.

Why batches: twisted.logger's text observer formats a timestamp, the
system and the event, then writes and flushes its file, for every event;
profiles of 16 clients doing 4 KiB GETs showed that as 7-12% of the
reactor thread, more than the signature check.  So the lines of the
requests that finish within C{max_delay} of the first waiting one go out
as one event (or as soon as L{MAX_BATCH} lines are waiting): its
C{access} text is the lines joined by newlines (the text observer
indents the lines after the first with a tab; they share the event's
timestamp), and its C{requests} field carries one L{AccessRecord} per
line for observers that want the fields.  Each line carries its own
duration, so the delay changes no figure in it.  L{AccessLog.flush}
sends what is waiting at once; the site calls it when it stops, so a
clean stop loses no line.

C{max_delay} 0 means the end of the reactor turn.  The site waits
L{MAX_DELAY}: under 16 busy connections a turn ends only one to three
requests, so an event per turn still cost about 3% of a small request's
CPU (py-spy of the daemon, docs/perf-small4.md); 50 ms gathers up to
L{MAX_BATCH} lines.

test-case-name: tests.s3.test_s3_site
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

if TYPE_CHECKING:
    from cartridge_d.s3.call import Clock

#: Lines waiting before a batch goes out without waiting for L{MAX_DELAY}.
MAX_BATCH = 64

#: Seconds a line of the site's log may wait for others to share its event.
MAX_DELAY = 0.05


@dataclass(frozen=True)
class AccessRecord:
    """
    What the access log says about one request.

    @ivar status: the HTTP status sent, or C{"-"} if none was.
    @ivar sent: body bytes sent.
    @ivar duration: seconds from the head's arrival to the end.
    @ivar lost: the connection was lost before the exchange finished.
    @ivar route: the operation's name (C{GetObject}...), if routed.
    """

    method: str
    bucket: str
    key: str
    status: int | str
    sent: int
    duration: float
    request_id: str
    lost: bool = False
    route: str | None = None

    def line(self) -> str:
        """
        The record as its access-log line.
        """
        lost = " (connection lost)" if self.lost else ""
        return (
            f"{self.method} {self.bucket or '-'} {self.key or '-'} {self.status} {self.sent} "
            f"{self.duration:.3f}s {self.request_id}{lost}"
        )


class AccessLog:
    """
    Collects access records and logs them in batches.

    Thread contract: reactor thread only.
    """

    def __init__(
        self, log: Logger, clock: Clock, max_batch: int = MAX_BATCH, max_delay: float = 0.0
    ) -> None:
        self._log = log
        self._clock = clock
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._waiting: list[AccessRecord] = []
        self._flush_call: Any = None

    def record(self, entry: AccessRecord) -> None:
        """
        Log C{entry} within C{max_delay} (at the end of this reactor
        turn if 0), with the others that end meanwhile.
        """
        self._waiting.append(entry)
        if len(self._waiting) >= self._max_batch:
            self.flush()
        elif self._flush_call is None:
            self._flush_call = self._clock.callLater(self._max_delay, self._flush_due)

    def _flush_due(self) -> None:
        self._flush_call = None
        self.flush()

    def flush(self) -> None:
        """
        Log every waiting record now, as one event.
        """
        if self._flush_call is not None:
            if self._flush_call.active():
                self._flush_call.cancel()
            self._flush_call = None
        waiting, self._waiting = self._waiting, []
        if waiting:
            self._log.info(
                "{access}",
                access="\n".join(entry.line() for entry in waiting),
                requests=tuple(waiting),
            )
