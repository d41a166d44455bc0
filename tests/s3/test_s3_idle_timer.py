"""
The idle timeout of a keep-alive connection (one timer per connection,
pushed back rather than replaced): idle clients are dropped, busy ones
are not, and a request still being answered is never cut off.
"""

from __future__ import annotations

from s3_harness import S3Harness, SteppingPool, parse_replies


def test_keepalive_connection_times_out_after_last_request() -> None:
    """
    After several requests on one connection, the connection is closed
    one idle period after the last byte of the last request, not before.
    """
    h = S3Harness()
    timeout = h.site.timeOut or 0
    channel, transport = h.connect()
    for _ in range(5):
        channel.dataReceived(h.sign("GET", "/"))
        h.clock.advance(timeout / 2)
    assert [r.status for r in parse_replies(transport.value())] == [200] * 5
    assert not transport.disconnecting
    h.clock.advance(timeout / 2 + 1)
    assert transport.disconnecting or transport.disconnected


def test_slow_answer_is_not_cut_off() -> None:
    """
    A PUT whose store call takes longer than the idle timeout is answered
    when the store finishes, on a connection still open; the idle period
    starts again after the answer.
    """
    pool = SteppingPool()
    h = S3Harness(pool=pool)
    timeout = h.site.timeOut or 0
    channel, transport = h.connect()
    channel.dataReceived(h.sign("PUT", "/bkt"))
    pool.run_all()
    assert parse_replies(transport.value())[0].status == 200
    transport.clear()
    channel.dataReceived(h.sign("PUT", "/bkt/k", b"x" * 100))
    h.clock.advance(timeout * 3)
    assert not transport.disconnecting
    pool.run_all()
    assert parse_replies(transport.value())[0].status == 200
    h.clock.advance(timeout - 1)
    assert not transport.disconnecting
    h.clock.advance(2)
    assert transport.disconnecting or transport.disconnected


def test_lost_connection_leaves_no_timer() -> None:
    """
    A connection that goes away leaves no idle timer behind in the
    reactor (nothing fires for it later).
    """
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    h = S3Harness()
    before = len(h.clock.getDelayedCalls())
    channel, transport = h.connect()
    channel.dataReceived(h.sign("GET", "/"))
    h.site.app.access.flush()
    channel.connectionLost(Failure(ConnectionDone()))
    assert len(h.clock.getDelayedCalls()) == before
