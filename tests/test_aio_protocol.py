"""csctp.aio protocols on the real kernel: order, back-pressure, the end however it comes, bad input."""

import asyncio
import errno

import pytest

import csctp
import csctp.aio

from test_aio import LOOPS, fds, run, selector_map


class Recorder(csctp.aio.Protocol):
    """Logs every callback; *on_message* (if any) runs after logging a message."""

    def __init__(self, on_message=None, expect=0):
        self.log = []
        self.messages = []
        self.on_message = on_message
        self.expect = expect
        self.transport = None
        self.done = asyncio.get_running_loop().create_future()      # *expect* messages received
        self.gone = asyncio.get_running_loop().create_future()      # connection_lost's argument

    def connection_made(self, transport):
        self.log.append("made")
        self.transport = transport

    def message_received(self, message):
        self.log.append("message")
        self.messages.append(message)
        if self.on_message is not None:
            self.on_message(self, message)
        if len(self.messages) == self.expect and not self.done.done():
            self.done.set_result(None)

    def event_received(self, event):
        self.log.append(event.kind)

    def pause_writing(self):
        self.log.append("pause_writing")

    def resume_writing(self):
        self.log.append("resume_writing")

    def connection_lost(self, exc):
        self.log.append("lost")
        self.gone.set_result(exc)


def echo(p, m):
    p.transport.send(m.data, stream=m.stream, ppid=m.ppid)


class Factory:
    """A protocol factory for a server that keeps every Recorder it makes (``made``)."""

    def __init__(self, on_message=None, expect=0):
        self.on_message, self.expect, self.made = on_message, expect, []

    def __call__(self):
        self.made.append(Recorder(self.on_message, self.expect))
        return self.made[-1]

    async def first(self):
        """The first association's protocol, once connection_made has run."""
        for _ in range(1000):
            if self.made and self.made[0].transport is not None:
                return self.made[0]
            await asyncio.sleep(0.01)
        raise AssertionError("no association reached the server's protocol")


def run_clean(main, kind):
    """Run main(): afterwards the loop watches no more than before, and no descriptor is left open."""
    run(asyncio.sleep(0), kind)         # the loop implementation's own one-time descriptors
    before = fds()

    async def checked():
        loop = asyncio.get_running_loop()
        watched = selector_map(loop)
        await main()
        assert selector_map(loop) == watched          # no callback left on the loop

    run(checked(), kind)
    assert fds() == before


async def wait(fut, what, timeout=60):
    try:
        return await asyncio.wait_for(asyncio.shield(fut), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.mark.parametrize("kind", LOOPS)
def test_echo_keeps_each_streams_order_and_metadata_and_both_sides_see_a_graceful_end(kind):
    n = 300

    async def main():
        servers = Factory(echo)
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        async with server:
            t, c = await csctp.aio.create_connection(lambda: Recorder(expect=n),
                                                     f"127.0.0.1:{server.address[1]}", ostreams=5, timeout=30)
            assert isinstance(t, csctp.aio.Transport) and t.association.status.outstreams == 5
            for i in range(n):
                t.send(b"m%04d" % i, stream=i % 5, ppid=1000 + i)
            await wait(c.done, "the echoes")
            t.close()
            assert t.is_closing() and not t.is_reading()
            assert await wait(c.gone, "the client's connection_lost") is None
            assert await wait(servers.made[0].gone, "the server's connection_lost") is None
        for p in (c, servers.made[0]):
            assert p.log == ["made"] + ["message"] * n + ["lost"]
        for s in range(5):
            got = [(m.data, m.ppid) for m in c.messages if m.stream == s]
            assert got == [(b"m%04d" % i, 1000 + i) for i in range(s, n, 5)]

    run_clean(main, kind)


@pytest.mark.parametrize("kind", LOOPS)
def test_a_full_send_buffer_queues_in_order_pauses_the_writer_and_close_sends_the_queue_first(kind):
    n, size = 3000, 1024

    async def main():
        servers = Factory(expect=n)
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        async with server:
            t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{server.address[1]}", timeout=30)
            s = await servers.first()
            s.transport.pause_reading()
            assert not s.transport.is_reading()
            t.set_write_buffer_limits(high=64 * 1024)
            pad = b"." * (size - 6)
            for i in range(n):                      # ~3 MB: far more than both kernel buffers hold
                t.send(b"%06d" % i + pad, stream=i % 3)
            queued = t.get_write_buffer_size()
            assert queued > 64 * 1024 and c.log == ["made", "pause_writing"], (queued, c.log)
            t.close()                               # with messages queued: they go first
            with pytest.raises(RuntimeError, match="send: the transport is closing"):
                t.send(b"late")
            await asyncio.sleep(0.2)
            assert not c.gone.done()                # the queue is still waiting for the reader
            s.transport.resume_reading()
            await wait(s.done, "every queued message")
            assert await wait(c.gone, "the client's connection_lost") is None
            assert await wait(s.gone, "the server's connection_lost") is None
            assert c.log == ["made", "pause_writing", "resume_writing", "lost"]
            assert t.get_write_buffer_size() == 0
            got = [m.data[:6] for m in s.messages]
            assert len(got) == n and len(set(got)) == n          # each message once
            for k in range(3):
                mine = [int(g) for g, m in zip(got, s.messages) if m.stream == k]
                assert mine == list(range(k, n, 3))              # in order on its stream

    run(main(), kind)


@pytest.mark.parametrize("kind", LOOPS)
def test_a_peer_abort_is_connection_lost_with_connection_reset(kind):
    async def main():
        servers = Factory(lambda p, m: p.transport.abort())
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        async with server:
            t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{server.address[1]}", timeout=30)
            t.send(b"abort me")
            exc = await wait(c.gone, "the client's connection_lost")
            assert isinstance(exc, ConnectionResetError), exc
            assert await wait(servers.made[0].gone, "the server's connection_lost") is None
            assert servers.made[0].log == ["made", "message", "lost"]
            assert c.log == ["made", "lost"]
            assert t.is_closing()
            with pytest.raises(RuntimeError):
                t.send(b"after the end")

    run(main(), kind)


def test_a_peer_abort_while_messages_are_queued_ends_with_connection_reset_and_drops_the_queue():
    async def main():
        servers = Factory()
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        async with server:
            t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{server.address[1]}", timeout=30)
            (await servers.first()).transport.pause_reading()
            for _ in range(5000):
                t.send(b"q" * 1024)
                if t.get_write_buffer_size() > 8192:
                    break
            assert t.get_write_buffer_size() > 8192
            queued = len(t._queue)
            servers.made[0].transport.abort()
            exc = await wait(c.gone, "the client's connection_lost")
            assert isinstance(exc, ConnectionResetError), exc
            assert exc.unsent == queued                 # what the transport dropped, said
            assert t.get_write_buffer_size() == 0 and t.is_closing()
            assert c.log == ["made", "lost"]

    run(main())


def test_a_peer_shutting_down_while_messages_are_queued_ends_with_how_many_were_not_sent():
    async def main():
        lst = await csctp.aio.listen("127.0.0.1:0")
        t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = (await lst.accept()).sync             # the peer: a plain association that does not read yet
        lst.close()
        sent = 0
        for _ in range(20000):
            t.send(b"%06d" % sent + b"." * 1018)
            sent += 1
            if t.get_write_buffer_size() > 8192:
                break
        assert t.get_write_buffer_size() > 8192
        queued = len(t._queue)
        b.shutdown()                                # graceful, with the client's queue still full
        got = 0
        for _ in range(20000):                      # now read what the client's kernel had taken, to the end
            try:
                b.recv()
                got += 1
            except BlockingIOError:
                await asyncio.sleep(0.005)
            except csctp.AssociationClosed:
                break
        exc = await wait(c.gone, "the client's connection_lost")
        assert isinstance(exc, (csctp.AssociationClosed, BrokenPipeError)), exc
        assert 0 < exc.unsent <= queued and got + exc.unsent == sent, (got, exc.unsent, sent)
        assert c.log[0] == "made" and c.log[-1] == "lost" and "message" not in c.log
        b.close()

    run(main())


def test_a_raising_callback_is_reported_closes_the_association_and_is_connection_losts_reason():
    class Boom(Exception):
        pass

    def explode(p, m):
        raise Boom("bad message")

    async def main():
        loop = asyncio.get_running_loop()
        reported = []
        loop.set_exception_handler(lambda loop, ctx: reported.append(ctx))
        servers = Factory(explode)
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        async with server:
            t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{server.address[1]}", timeout=30)
            t.send(b"one")
            t.send(b"two")
            exc = await wait(servers.made[0].gone, "the server's connection_lost")
            assert isinstance(exc, Boom)
            assert servers.made[0].log == ["made", "message", "lost"]     # nothing delivered after the failure
            assert len(reported) == 1 and reported[0]["exception"] is exc
            assert "protocol.message_received() failed" in reported[0]["message"]
            # the server's socket is closed: gracefully if "two" had not reached it, else the kernel
            # aborts (a socket closed with unread data); either way the client sees the end
            end = await wait(c.gone, "the client's connection_lost")
            assert end is None or isinstance(end, ConnectionResetError), end

    run(main())


def test_events_come_in_order_with_messages_and_closing_in_a_callback_stops_delivery():
    async def main():
        lst = await csctp.aio.listen("127.0.0.1:0")
        t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{lst.address[1]}", timeout=30)
        t.association.subscribe("shutdown")
        b = await lst.accept()
        lst.close()
        for i in range(3):
            await b.send(b"%d" % i)
        b.shutdown()
        assert await wait(c.gone, "connection_lost") is None
        assert c.log == ["made", "message", "message", "message", "shutdown", "lost"]
        assert [m.data for m in c.messages] == [b"0", b"1", b"2"]
        b.close()

        lst = await csctp.aio.listen("127.0.0.1:0")
        t, c = await csctp.aio.create_connection(lambda: Recorder(lambda p, m: p.transport.close()),
                                                 f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = await lst.accept()
        lst.close()
        await b.send_batch([b"a", b"b", b"c", b"d"])        # one system call: likely one read turn
        assert await wait(c.gone, "connection_lost") is None
        assert c.log == ["made", "message", "lost"]
        with pytest.raises((csctp.AssociationClosed, ConnectionResetError)):
            for _ in range(10):
                await asyncio.wait_for(b.recv(), 30)
        b.close()

    run(main())


def test_send_refuses_bad_input_at_once_whether_it_goes_out_or_is_queued():
    async def main():
        servers = Factory()
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        async with server:
            t, c = await csctp.aio.create_connection(Recorder, f"127.0.0.1:{server.address[1]}",
                                                     ostreams=4, timeout=30)
            for queued in (False, True):
                if queued:
                    (await servers.first()).transport.pause_reading()
                    for i in range(5000):
                        t.send(b"x" * 1024)
                        if t.get_write_buffer_size():
                            break
                    assert t.get_write_buffer_size() > 0
                with pytest.raises(OSError) as e:
                    t.send(b"x", stream=4)              # beyond the 4 negotiated
                assert e.value.errno == errno.EINVAL and "send" in str(e.value)
                for bad, kw in (("stream", {"stream": 70000}), ("stream", {"stream": "1"}),
                                ("ppid", {"ppid": -1}), ("ppid", {"ppid": 1 << 32}), ("ttl", {"ttl": -5})):
                    with pytest.raises((ValueError, TypeError, OverflowError), match=bad) as e:
                        t.send(b"x", **kw)
                    assert not isinstance(e.value, OverflowError) and "send" in str(e.value)
                for bad in (12345, "text", None):
                    with pytest.raises(TypeError, match="send"):
                        t.send(bad)
            buf = bytearray(b"reused")
            t.send(buf, stream=3)                       # queued: a copy, the caller's buffer is its own again
            buf[:] = b"XXXXXX"
            queued = t.get_write_buffer_size()
            servers.made[0].transport.resume_reading()
            t.close()
            assert await wait(c.gone, "connection_lost") is None
            assert queued > 0 and t.get_write_buffer_size() == 0
            assert await wait(servers.made[0].gone, "the server's connection_lost") is None
            assert [m.data for m in servers.made[0].messages if m.stream == 3] == [b"reused"]
            with pytest.raises(ValueError, match="set_write_buffer_limits"):
                t.set_write_buffer_limits(high=10, low=20)

    run(main())


@pytest.mark.parametrize("kind", LOOPS)
def test_closing_the_server_ends_every_association_and_leaves_nothing_behind(kind):
    async def main():
        servers = Factory(echo)
        server = await csctp.aio.create_server(servers, "127.0.0.1:0")
        clients = []
        for _ in range(5):
            t, c = await csctp.aio.create_connection(lambda: Recorder(expect=1),
                                                     f"127.0.0.1:{server.address[1]}", timeout=30)
            t.send(b"ping")
            await wait(c.done, "the echo")
            clients.append(c)
        server.close()
        await server.wait_closed()
        for p in servers.made:
            assert await wait(p.gone, "a server protocol's connection_lost") is None
            assert p.log == ["made", "message", "lost"]
        for c in clients:
            assert await wait(c.gone, "a client's connection_lost") is None

    run_clean(main, kind)
