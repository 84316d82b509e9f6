"""The end of an association, seen from every receiver: one-to-one, endpoint, peeled-off, asyncio.

The matrix: each kind of receiver x each way an association ends.  The peer
sends COUNT messages first; the receiver must get every one of them, then
the documented end (an exception, or the end of an iterator) within a
bounded time.  Then one regression test per problem the receive engine
fixed: local shutdown, peeled-off peer shutdown, asyncio events after an
ABORT and while another task receives, the asyncio server after EMFILE,
recv_batch limits and order, and a partial message across peeloff.
"""

import asyncio
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import csctp
import csctp.aio
from csctp import constants as C

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COUNT = 20
WAIT = 20.0          # seconds: generous for the 10x slower VM; a hang fails instead of blocking the run

# A peer in its own process: connects, sends COUNT messages, waits until all are
# acknowledged (so they sit in the receiver's queue), says "ready" and sleeps
# without reading: killed with unread data, its kernel ABORTs the association.
CHILD = r"""
import socket, sys, time
import csctp
s = csctp.connect(f"127.0.0.1:{sys.argv[1]}", timeout=30)
for i in range(%d):
    s.send(b"m%%d" %% i)
for _ in range(3000):
    if s.status.unackdata == 0:
        break
    time.sleep(0.01)
print("ready", flush=True)
time.sleep(120)
""" % COUNT

MODES = ["one-to-one", "endpoint", "peeled", "aio", "aio-endpoint"]
ENDS = ["local-shutdown", "peer-shutdown", "peer-abort", "peer-kill"]
EXPECTED = [b"m%d" % i for i in range(COUNT)]


def wait_acked(assoc):
    """Until the peer acknowledged everything *assoc* sent (bounded): then an ABORT drops nothing of it."""
    for _ in range(2000):
        if assoc.status.unackdata == 0:
            return
        time.sleep(0.01)
    raise AssertionError("data never acknowledged")


class Peer:
    """The other side of the association under test: in this process, or a child to SIGKILL."""

    def __init__(self, port, end):
        self.end = end
        self.child = None
        self.assoc = None
        if end == "peer-kill":
            self.child = subprocess.Popen([sys.executable, "-c", CHILD, str(port)], stdout=subprocess.PIPE,
                                          stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ROOT})
        else:
            self.assoc = csctp.connect(f"127.0.0.1:{port}", timeout=WAIT)

    def send_all(self):
        if self.child is not None:
            assert self.child.stdout.readline().strip() == b"ready"
            return
        for m in EXPECTED:
            self.assoc.send(m)
        if self.end == "peer-abort":
            wait_acked(self.assoc)

    def finish(self, local_shutdown, send_unread):
        """Make the association end the way the test wants."""
        if self.end == "local-shutdown":
            local_shutdown()
        elif self.end == "peer-shutdown":
            self.assoc.shutdown()
        elif self.end == "peer-abort":
            self.assoc.abort()
        else:
            send_unread()                   # unread by the child: its death is an ABORT
            time.sleep(0.5)
            os.kill(self.child.pid, signal.SIGKILL)
            self.child.wait(WAIT)

    def close(self):
        if self.child is not None:
            if self.child.poll() is None:
                self.child.kill()
                self.child.wait(WAIT)
            self.child.stdout.close()
        if self.assoc is not None:
            self.assoc.close()


def expected_error(end):
    return csctp.AssociationClosed if end in ("local-shutdown", "peer-shutdown") else ConnectionResetError


def expected_state(end):
    return C.SCTP_SHUTDOWN_COMP if end in ("local-shutdown", "peer-shutdown") else C.SCTP_COMM_LOST


def check_association_end(a, end):
    """recv() x COUNT, then the end; the end again at once, without a system call."""
    got = [a.recv().data for _ in range(COUNT)]
    assert got == EXPECTED
    with pytest.raises(expected_error(end), match="recv"):
        a.recv()
    t0 = time.monotonic()
    with pytest.raises(expected_error(end)):
        a.recv()
    assert time.monotonic() - t0 < 1
    assert list(a.events()) == []             # nothing subscribed: the engine's own notifications stay hidden


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize("mode", ["one-to-one", "endpoint", "peeled"])
def test_sync_receivers_see_every_message_then_the_end(mode, end):
    if mode == "one-to-one":
        server = csctp.listen("127.0.0.1:0")
        port = server.address[1]
    else:
        server = csctp.Endpoint("127.0.0.1:0")
        port = server.local_addresses[0][1]
    server.settimeout(WAIT)
    peer = Peer(port, end)
    try:
        if mode == "one-to-one":
            a = server.accept()
        elif mode == "peeled":
            aid = None
            for _ in range(int(WAIT / 0.05)):   # the peer may be a child process still starting
                ids = server.associations()
                if ids:
                    aid = ids[0]
                    break
                time.sleep(0.05)
            assert aid is not None, "the peer never connected"
            a = server.peeloff(aid)
        else:
            server.subscribe("assoc_change")
            a = None
        peer.send_all()
        if a is not None:
            a.settimeout(WAIT)
            peer.finish(a.shutdown, lambda: a.send(b"unread"))
            check_association_end(a, end)
            a.close()
        else:
            first = server.recv()           # its assoc_id names the peer's association
            assert first.data == b"m0"
            aid = first.assoc_id
            server.max_pending_bytes = 1 << 20
            peer.finish(lambda: server.association(aid).shutdown(), lambda: server.send(b"unread", assoc_id=aid))
            got = []
            for item in server.items():
                if isinstance(item, csctp.AssocChange) and item.assoc_id == aid and item.state != C.SCTP_COMM_UP:
                    assert item.state == expected_state(end)
                    break
                if isinstance(item, csctp.Message):
                    got.append(item.data)
                assert len(got) <= COUNT
            assert got == EXPECTED[1:]
            other = csctp.connect(f"127.0.0.1:{port}", timeout=WAIT)
            with other:
                other.send(b"still serving")
                m = server.recv()
                assert m.data == b"still serving" and m.assoc_id != aid
    finally:
        peer.close()
        server.close()


def run(coro):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, 120))
    finally:
        loop.close()


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize("mode", ["aio", "aio-endpoint"])
def test_aio_receivers_see_every_message_then_the_end(mode, end):
    async def main():
        loop = asyncio.get_running_loop()
        if mode == "aio":
            lst = csctp.listen("127.0.0.1:0")
            lst.settimeout(WAIT)
            port = lst.address[1]
            peer = Peer(port, end)
            try:
                a = csctp.aio.Association(lst.accept())
                events = loop.create_task(_collect(a.events()))
                await loop.run_in_executor(None, peer.send_all)
                await loop.run_in_executor(None, peer.finish, a.shutdown, lambda: a.sync.send(b"unread"))
                got = [(await asyncio.wait_for(a.recv(), WAIT)).data for _ in range(COUNT)]
                assert got == EXPECTED
                for _ in range(2):
                    with pytest.raises(expected_error(end), match="recv"):
                        await asyncio.wait_for(a.recv(), WAIT)
                assert await asyncio.wait_for(events, WAIT) == []      # events() ended too
                a.close()
            finally:
                peer.close()
                lst.close()
        else:
            ep = csctp.aio.Endpoint("127.0.0.1:0")
            port = ep.local_addresses[0][1]
            ep.subscribe("assoc_change")
            peer = Peer(port, end)
            try:
                await loop.run_in_executor(None, peer.send_all)
                first = await asyncio.wait_for(ep.recv(), WAIT)
                aid = first.assoc_id
                await loop.run_in_executor(None, peer.finish, lambda: ep.association(aid).shutdown(),
                                           lambda: ep.sync.send(b"unread", assoc_id=aid))
                got = [first.data]

                async def until_end():
                    async for item in ep.items():
                        if isinstance(item, csctp.AssocChange) and item.assoc_id == aid \
                                and item.state != C.SCTP_COMM_UP:
                            return item.state
                        if isinstance(item, csctp.Message):
                            got.append(item.data)
                        assert len(got) <= COUNT

                assert await asyncio.wait_for(until_end(), WAIT) == expected_state(end)
                assert got == EXPECTED
                other = await csctp.aio.connect(f"127.0.0.1:{port}", timeout=WAIT)
                await other.send(b"still serving")
                m = await asyncio.wait_for(ep.recv(), WAIT)
                assert m.data == b"still serving" and m.assoc_id != aid
                other.close()
            finally:
                peer.close()
                ep.close()

    run(main())


async def _collect(aiter):
    return [x async for x in aiter]


@pytest.fixture
def assoc_pair():
    made = []

    def make():
        lst = csctp.listen("127.0.0.1:0")
        lst.settimeout(WAIT)
        cli = csctp.connect(f"127.0.0.1:{lst.address[1]}", timeout=WAIT)
        srv = lst.accept()
        srv.settimeout(WAIT)
        made.extend([cli, srv, lst])
        return cli, srv, lst

    yield make
    for x in made:
        x.close()


def in_thread(fn):
    """Run *fn* in a thread, bounded: (returned value, raised exception); fails if it hangs."""
    out = {}

    def body():
        try:
            out["value"] = fn()
        except BaseException as e:          # handed to the test
            out["error"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join(WAIT)
    assert not t.is_alive(), "the call hung"
    return out.get("value"), out.get("error")


# ---- local shutdown ends recv ------------------------------------------------------------

@pytest.mark.parametrize("timeout", [5.0, None], ids=["timeout", "blocking"])
def test_local_shutdown_ends_recv(assoc_pair, timeout):
    cli, srv, _ = assoc_pair()
    cli.send(b"before")
    srv.settimeout(timeout)
    srv.shutdown()
    assert srv.recv().data == b"before"
    _, err = in_thread(srv.recv)
    assert isinstance(err, csctp.AssociationClosed), repr(err)


def test_shutdown_wait_keeps_the_messages_that_arrive_meanwhile(assoc_pair):
    cli, srv, _ = assoc_pair()
    for i in range(5):
        cli.send(b"%d" % i)
    srv.shutdown(wait=WAIT)                  # no hand-written event loop
    assert [srv.recv().data for _ in range(5)] == [b"0", b"1", b"2", b"3", b"4"]
    with pytest.raises(csctp.AssociationClosed):
        srv.recv()
    with pytest.raises(csctp.AssociationClosed):
        cli.recv()


def test_aio_local_shutdown_ends_recv_and_wait_closed():
    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=WAIT)
        b = csctp.aio.Association(lst.accept())
        await b.send(b"last")
        a.shutdown()
        await asyncio.wait_for(a.wait_closed(), WAIT)
        assert (await a.recv()).data == b"last"          # kept while waiting
        with pytest.raises(csctp.AssociationClosed):
            await asyncio.wait_for(a.recv(), WAIT)
        with pytest.raises(csctp.AssociationClosed):
            await asyncio.wait_for(b.recv(), WAIT)
        for x in (a, b, lst):
            x.close()

    run(main())


# ---- peeled-off associations see the peer's shutdown --------------------------------------

def test_peeled_off_association_sees_the_peer_shutdown():
    ep = csctp.Endpoint("127.0.0.1:0")
    ep.settimeout(WAIT)
    cli = csctp.connect(f"127.0.0.1:{ep.local_addresses[0][1]}", timeout=WAIT)
    try:
        cli.send(b"hello")
        peeled = ep.peeloff(ep.recv().assoc_id)
        peeled.settimeout(WAIT)
        cli.send(b"bye")
        cli.shutdown()
        assert peeled.recv().data == b"bye"
        with pytest.raises(csctp.AssociationClosed):
            peeled.recv()
        peeled.close()
    finally:
        cli.close()
        ep.close()


def test_gateway_private_session_ends_when_the_peer_shuts_down(capsys):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import gateway
    finally:
        sys.path.pop(0)
    ep = csctp.Endpoint("127.0.0.1:0")
    ep.settimeout(WAIT)
    cli = csctp.connect(f"127.0.0.1:{ep.local_addresses[0][1]}", timeout=WAIT)
    try:
        cli.send(b"PEEL")
        peeled = ep.peeloff(ep.recv().assoc_id)
        t = threading.Thread(target=gateway.private_session, args=(peeled,), daemon=True)
        t.start()
        cli.send(b"x")
        assert cli.recv().data == b"private: x"
        cli.shutdown()
        t.join(WAIT)
        assert not t.is_alive(), "the per-association loop did not end at the peer's shutdown"
        assert peeled.closed
        assert "private session ended" in capsys.readouterr().out     # ended by the loop, not an error
    finally:
        cli.close()
        ep.close()


# ---- asyncio events(): the end, other readers, one order ----------------------------------

def test_aio_events_end_after_the_peer_aborts():
    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = csctp.connect(f"127.0.0.1:{lst.address[1]}", timeout=WAIT)
        b = csctp.aio.Association(lst.accept())
        b.subscribe("assoc_change")
        a.abort()
        evs = await asyncio.wait_for(_collect(b.events()), WAIT)
        assert [(e.kind, e.state) for e in evs] == [("assoc_change", C.SCTP_COMM_LOST)]
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(b.recv(), WAIT)
        b.close()
        lst.close()

    run(main())


def test_aio_events_wake_while_another_task_is_in_recv():
    async def main():
        loop = asyncio.get_running_loop()
        lst = csctp.listen("127.0.0.1:0")
        a = csctp.connect(f"127.0.0.1:{lst.address[1]}", timeout=WAIT)
        b = csctp.aio.Association(lst.accept())
        b.subscribe("sender_dry")
        await asyncio.sleep(0.3)
        b.sync.poll_events()                        # the "dry" the kernel may report on subscribing
        list(b.sync.events())
        receiver = loop.create_task(b.recv())       # first in line: its step reads what arrives
        await asyncio.sleep(0.2)
        events = b.events()
        first = loop.create_task(events.__anext__())
        await asyncio.sleep(0.2)
        await b.send(b"x")                          # acknowledged: SENDER_DRY on b, read by `receiver`
        ev = await asyncio.wait_for(first, 10)
        assert ev.kind == "sender_dry"
        assert not receiver.done()
        a.send(b"for the receiver")
        assert (await asyncio.wait_for(receiver, WAIT)).data == b"for the receiver"
        assert a.recv().data == b"x"
        await events.aclose()
        for x in (a, b, lst):
            x.close()

    run(main())


def test_items_yield_data_and_notifications_in_arrival_order(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.subscribe("shutdown")
    cli.send(b"1")
    cli.send(b"2")
    cli.shutdown()
    items = list(srv.items())
    assert [x.data if isinstance(x, csctp.Message) else x.kind for x in items] == [b"1", b"2", "shutdown"]

    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=WAIT)
        b = csctp.aio.Association(lst.accept())
        b.subscribe("shutdown")
        await a.send(b"1")
        await a.send(b"2")
        a.shutdown()
        got = await asyncio.wait_for(_collect(b.items()), WAIT)
        assert [x.data if isinstance(x, csctp.Message) else x.kind for x in got] == [b"1", b"2", "shutdown"]
        for x in (a, b, lst):
            x.close()

    run(main())


def test_unsubscribed_engine_notifications_stay_hidden_and_unsubscribing_keeps_the_end(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.subscribe("assoc_change")
    srv.subscribe("assoc_change", on=False)       # the user's view only: the engine still sees the end
    cli.send(b"x")
    cli.shutdown()
    assert [x.data for x in srv.items()] == [b"x"]
    with pytest.raises(csctp.AssociationClosed):
        srv.recv()
    assert list(srv.events()) == []


# ---- the asyncio server survives EMFILE ---------------------------------------------------

def test_aio_server_keeps_accepting_after_emfile():
    async def main():
        loop = asyncio.get_running_loop()
        reported = []
        loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
        served = asyncio.Event()

        async def handler(a):
            served.set()
            await a.recv()

        server = await csctp.aio.start_server(handler, "127.0.0.1:0")
        port = server.address[1]
        first = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
        second = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        top = max(int(fd) for fd in os.listdir("/proc/self/fd"))
        fillers = []
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (top + 1, hard))
            for _ in range(top + 2):                      # fill the holes below the limit too
                try:
                    fillers.append(os.dup(0))
                except OSError:
                    break
            first.settimeout(WAIT)
            first.connect(("127.0.0.1", port))            # the handshake needs no accept()
            for _ in range(100):
                if reported:
                    break
                await asyncio.sleep(0.05)
        finally:
            for fd in fillers:
                os.close(fd)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert reported, "EMFILE was not reported"
        assert isinstance(reported[0]["exception"], OSError) and "accept" in reported[0]["message"]
        await asyncio.wait_for(served.wait(), WAIT)       # the waiting association, once descriptors are back
        served.clear()
        second.settimeout(WAIT)
        second.connect(("127.0.0.1", port))
        await asyncio.wait_for(served.wait(), WAIT)
        first.close()
        second.close()
        server.close()
        await server.wait_closed()

    run(main())


# ---- recv_batch ----------------------------------------------------------------------------

def _queued(a, n):
    """Give the *n* messages just sent time to reach *a*'s queue (readable, then a pause for the rest)."""
    for _ in range(100):
        r, _, _ = select.select([a.fileno()], [], [], 0.2)
        if r:
            time.sleep(0.2)
            return


def test_recv_batch_honours_max_messages_with_a_larger_pool(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.send(b"warm")
    assert [m.copy() for m in srv.recv_batch(64)] == [b"warm"]
    for i in range(10):
        cli.send(b"%d" % i)
    _queued(srv, 10)
    got = []
    for _ in range(10):
        batch = srv.recv_batch(2)
        assert len(batch) <= 2
        got += [m.copy() for m in batch]
        if len(got) == 10:
            break
    assert got == [b"%d" % i for i in range(10)]


def test_recv_batch_never_overtakes_messages_read_ahead(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.send(b"first")
    _queued(srv, 1)
    srv.poll_events()                           # reads "first" ahead, keeps it for recv()
    cli.send(b"second")
    _queued(srv, 1)
    with pytest.raises(RuntimeError, match="recv_batch"):
        srv.recv_batch(8)
    assert srv.recv().data == b"first"
    assert [m.copy() for m in srv.recv_batch(8)] == [b"second"]


def test_recv_batch_learns_the_end_from_a_notification_in_the_batch():
    ep = csctp.Endpoint("127.0.0.1:0")
    ep.settimeout(WAIT)
    cli = csctp.connect(f"127.0.0.1:{ep.local_addresses[0][1]}", timeout=WAIT)
    try:
        cli.send(b"hello")
        peeled = ep.peeloff(ep.recv().assoc_id)
        peeled.settimeout(WAIT)
        cli.send(b"bye")
        cli.shutdown()
        got = []
        for _ in range(20):
            try:
                batch = peeled.recv_batch(8)
            except csctp.AssociationClosed:
                break
            got += [m.copy() for m in batch if not m.is_notification]
        else:
            raise AssertionError("recv_batch never saw the end")
        assert got == [b"bye"]
        peeled.close()
    finally:
        cli.close()
        ep.close()


# ---- a partial message moves with peeloff ------------------------------------------------

def test_peeloff_moves_the_part_of_a_message_already_received():
    ep = csctp.Endpoint("127.0.0.1:0")
    cli = csctp.connect(f"127.0.0.1:{ep.local_addresses[0][1]}", timeout=WAIT)
    try:
        big = bytes(range(200))
        ep.socket.recv_size = 64                # the message arrives in pieces of 64 bytes
        cli.send(big, stream=2)
        select.select([ep.fileno()], [], [], WAIT)
        ep.settimeout(0)
        for _ in range(10):                     # one read at a time until a piece is buffered
            if ep._reasm:
                break
            ep._recv_step()
        assert ep._reasm.pending == 64, "no partial piece was buffered"
        peeled = ep.peeloff(ep.associations()[0])
        assert ep._reasm.pending == 0 and peeled._reasm.pending == 64     # the piece moved along
        peeled.settimeout(WAIT)
        m = peeled.recv()
        assert (m.data, m.stream) == (big, 2)   # bytes in = bytes out, never the tail alone
        peeled.close()
    finally:
        cli.close()
        ep.close()


# ---- both paths cut: the association dies of its own timers, every receiver sees it ------------

@pytest.mark.netns
@pytest.mark.parametrize("mode", MODES)
def test_both_paths_cut_ends_every_receiver_after_its_messages(two_networks, mode):
    """A multi-homed association loses both networks: COMM_LOST, after every message that came before.

    The receiver under test sends once after the cut, so its retransmissions (RTO.max 1 s,
    two retransmissions for the association) run out within seconds: the kernel's COMM_LOST.
    """
    from csctp import options as O
    from tests import sctp_raw
    topo = two_networks
    port = 2905
    one_to_many = mode in ("endpoint", "peeled", "aio-endpoint")
    srv = topo.socket("server", type=socket.SOCK_SEQPACKET if one_to_many else socket.SOCK_STREAM)
    cli = topo.socket("client")
    closers = [cli, srv]
    try:
        # the endpoint's defaults are what its associations start with
        sctp_raw.tune_fast_failover(srv, asocmaxrxt=2)
        srv.bindx([(h, port) for h in topo.addrs("server")])
        srv.listen(8)
        srv.settimeout(WAIT)
        cli.bindx([(h, 0) for h in topo.addrs("client")])
        cli.settimeout(WAIT)
        cli.connectx([(h, port) for h in topo.addrs("server")])
        if one_to_many:
            ep = csctp.Endpoint(sock=srv)
            ep.subscribe("assoc_change")
            ep.settimeout(WAIT)
        else:
            conn, _ = srv.accept()
            closers.append(conn)
            a = csctp.Association(conn)
            a.settimeout(WAIT)
        for m in EXPECTED:
            cli.send(m)
        for _ in range(2000):                          # all of it acknowledged: queued at the receiver
            if O.get_status(cli).unackdata == 0:
                break
            time.sleep(0.01)
        if mode == "peeled":
            first = ep.recv()
            with topo.ns("server").entered():      # the kernel peels off only within the socket's netns
                a = ep.peeloff(first.assoc_id)
            a.settimeout(WAIT)
            closers.append(a)
            expected = EXPECTED[1:]
        else:
            expected = EXPECTED
        topo.link_down("a", side="client")
        topo.link_down("b", side="client")
        t0 = time.monotonic()

        def provoke(send):
            # one message into the dead paths makes the retransmissions run out; on a loaded
            # machine the heartbeats may have ended the association already (EPIPE): the same end
            try:
                send(b"into the void")
            except (BrokenPipeError, ConnectionError):
                pass
        if mode in ("one-to-one", "peeled"):
            provoke(a.send)
            got = [a.recv().data for _ in expected]
            assert got == expected
            with pytest.raises(ConnectionResetError, match="recv"):
                a.recv()
        elif mode == "aio":
            async def main():
                aa = csctp.aio.Association(a)
                try:
                    await aa.send(b"into the void")
                except (BrokenPipeError, ConnectionError):
                    pass                               # already ended by heartbeats: see provoke()
                got = [(await asyncio.wait_for(aa.recv(), WAIT)).data for _ in expected]
                assert got == expected
                with pytest.raises(ConnectionResetError, match="recv"):
                    await asyncio.wait_for(aa.recv(), WAIT)
            run(main())
        else:
            first = ep.recv()
            aid = first.assoc_id
            provoke(lambda data: ep.send(data, assoc_id=aid))
            got = [first.data]
            state = None

            def take(item):
                nonlocal state
                if isinstance(item, csctp.AssocChange) and item.assoc_id == aid and item.state != C.SCTP_COMM_UP:
                    state = item.state
                    return True
                if isinstance(item, csctp.Message):
                    got.append(item.data)
                assert len(got) <= COUNT
                return False

            if mode == "endpoint":
                for item in ep.items():
                    if take(item):
                        break
            else:
                async def main():
                    async for item in csctp.aio.Endpoint(endpoint=ep).items():
                        if take(item):
                            return
                run(main())
            assert state == C.SCTP_COMM_LOST and got == EXPECTED
        assert time.monotonic() - t0 < 60
    finally:
        for s in closers:
            s.close()
