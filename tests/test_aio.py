"""csctp.aio on the real kernel: echo server with 200 associations, one-to-many gateway, cancellation."""

import asyncio
import gc
import os
import socket

import pytest

import csctp
import csctp.aio

try:
    import uvloop
except ImportError:            # uvloop is in requirements/dev.txt; other installs test the default loop only
    uvloop = None

LOOPS = ["asyncio"] + (["uvloop"] if uvloop is not None else [])


def run(coro, kind="asyncio"):
    loop = uvloop.new_event_loop() if kind == "uvloop" else asyncio.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, 120))
    finally:
        loop.close()


def fds():
    return len(os.listdir("/proc/self/fd"))


def selector_map(loop):
    """The descriptors the default loop watches (uvloop has no selector to look into)."""
    sel = getattr(loop, "_selector", None)
    return None if sel is None else set(sel.get_map())


async def echo(a):
    async for m in a:
        await a.send(m.data, stream=m.stream, ppid=m.ppid)


@pytest.mark.parametrize("kind", LOOPS)
def test_echo_server_with_200_concurrent_associations(kind):
    n_clients, n_msgs = 200, 3
    run(asyncio.sleep(0), kind)         # the loop implementation's own one-time descriptors
    before = fds()

    async def client(port, i):
        a = await csctp.aio.connect(f"127.0.0.1:{port}", timeout=60)
        async with a:
            for k in range(n_msgs):
                await a.send(b"c%d-m%d" % (i, k), stream=k, ppid=i)
            got = [await a.recv() for _ in range(n_msgs)]
            a.shutdown()
            return sorted((m.data, m.stream, m.ppid) for m in got)     # one message per stream: no order across streams

    async def main():
        loop = asyncio.get_running_loop()
        watched = selector_map(loop)
        server = await csctp.aio.start_server(echo, "127.0.0.1:0", backlog=256)
        async with server:
            port = server.address[1]
            results = await asyncio.gather(*(client(port, i) for i in range(n_clients)))
        assert selector_map(loop) == watched
        return results

    results = run(main(), kind)
    for i, r in enumerate(results):
        assert r == [(b"c%d-m%d" % (i, k), k, i) for k in range(n_msgs)]
    assert fds() == before


def test_one_to_many_gateway_answers_each_association_and_peels_one_off():
    n = 20
    before = fds()

    async def main():
        gw = csctp.aio.Endpoint("127.0.0.1:0")
        port = gw.local_addresses[0][1]
        clients = [await csctp.aio.connect(f"127.0.0.1:{port}", timeout=30) for _ in range(n)]
        for i, c in enumerate(clients):
            await c.send(b"req %d" % i, stream=1, ppid=46)
        seen = {}
        for _ in range(n):
            m = await gw.recv()
            seen[m.data] = m.assoc_id
            await gw.send(b"ans:" + m.data, assoc_id=m.assoc_id, stream=m.stream, ppid=m.ppid)
        assert len(set(seen.values())) == n
        assert sorted(gw.associations()) == sorted(seen.values())
        for i, c in enumerate(clients):
            m = await c.recv()
            assert (m.data, m.stream, m.ppid) == (b"ans:req %d" % i, 1, 46)
        # one association as an object: the queries and sends of csctp.aio.Association
        ea = gw.association(seen[b"req 3"])
        assert isinstance(ea, csctp.aio.EndpointAssociation) and ea.assoc_id == seen[b"req 3"]
        assert ea.peer_addresses == clients[3].local_addresses
        assert ea.status.state is csctp.AssocState.ESTABLISHED
        assert [p.address for p in ea.paths() if p.primary] == [ea.primary]
        await ea.send(b"object", stream=2, ppid=5)
        await ea.ostream(3).send(b"handle")
        got = [await clients[3].recv() for _ in range(2)]
        assert [(m.data, m.stream, m.ppid) for m in got] == [(b"object", 2, 5), (b"handle", 3, 0)]
        # broadcast to everyone
        assert sorted(await gw.sendall(b"bye", ppid=7)) == sorted(gw.associations())
        for c in clients:
            assert (await c.recv()).data == b"bye"
        # peel client 0's association off into its own asyncio association
        peeled = gw.peeloff(seen[b"req 0"])
        await clients[0].send(b"just you")
        assert (await peeled.recv()).data == b"just you"
        await peeled.send(b"and you")
        assert (await clients[0].recv()).data == b"and you"
        assert seen[b"req 0"] not in gw.associations()
        # a one-to-many client endpoint adds an association with connect()
        cep = csctp.aio.Endpoint()
        aid = await cep.connect(f"127.0.0.1:{port}", timeout=30)
        await cep.send(b"from endpoint", assoc_id=aid)
        m = await gw.recv()
        assert m.data == b"from endpoint"
        await gw.send(b"back", assoc_id=m.assoc_id)
        r = await cep.recv()
        assert (r.data, r.assoc_id) == (b"back", aid)
        for x in clients + [peeled, cep, gw]:
            x.close()

    run(main())
    assert fds() == before


def test_cancelling_recv_leaves_no_callback_and_loses_nothing():
    before = fds()

    async def main():
        loop = asyncio.get_running_loop()
        watched = selector_map(loop)
        server = await csctp.aio.start_server(echo, "127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{server.address[1]}", timeout=30)
        task = loop.create_task(a.recv())
        for _ in range(100):                      # let it reach its wait for readability
            await asyncio.sleep(0)
            if a.fileno() in (selector_map(loop) or {a.fileno()}):
                break
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        if watched is not None:
            assert a.fileno() not in selector_map(loop)
        await a.send(b"still works", stream=2)   # the association is intact after the cancellation
        m = await a.recv()
        assert (m.data, m.stream) == (b"still works", 2)
        a.close()
        server.close()
        await server.wait_closed()
        assert selector_map(loop) == watched

    run(main())
    assert fds() == before


@pytest.mark.parametrize("kind", LOOPS)
def test_the_loop_keeps_watching_between_receives_and_forgets_an_association_dropped_unclosed(kind):
    """A receive loop keeps its reader callback (no epoll_ctl per message); an association garbage-collected
    without close() removes it first, so the next descriptor given the same number can be watched."""
    async def main():
        loop = asyncio.get_running_loop()
        server = await csctp.aio.start_server(echo, "127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{server.address[1]}", timeout=30)
        for i in range(20):
            await a.send(b"ping %d" % i, stream=i % 4)
            m = await a.recv()
            assert (m.data, m.stream) == (b"ping %d" % i, i % 4)
        fd = a.fileno()
        if selector_map(loop) is not None:
            assert fd in selector_map(loop)            # still watched between receives
        del a, m
        gc.collect()
        if selector_map(loop) is not None:
            assert fd not in selector_map(loop)
        pipes = []
        try:
            for _ in range(64):                        # the lowest free number comes first: bounded anyway
                pipes.append(os.pipe())
                if pipes[-1][0] == fd:
                    break
            r, w = pipes[-1]
            assert r == fd, "the freed descriptor number was not reused"
            got = loop.create_future()
            loop.add_reader(r, lambda: got.done() or got.set_result(os.read(r, 10)))
            os.write(w, b"!")
            assert await asyncio.wait_for(got, 10) == b"!"
            loop.remove_reader(r)
        finally:
            for p in pipes:
                os.close(p[0])
                os.close(p[1])
        server.close()
        await server.wait_closed()

    run(main(), kind)


def test_close_wakes_a_waiting_recv_with_an_error():
    async def main():
        server = await csctp.aio.start_server(echo, "127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{server.address[1]}", timeout=30)
        task = asyncio.get_running_loop().create_task(a.recv())
        await asyncio.sleep(0.01)
        a.close()
        with pytest.raises(OSError):
            await task
        server.close()
        await server.wait_closed()

    run(main())


def test_back_pressure_suspends_the_sender_and_drops_nothing():
    count, size = 1500, 1000                      # 1.5 MB: far more than both socket buffers hold

    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = csctp.aio.Association(lst.accept())
        sent = 0

        async def sender():
            nonlocal sent
            for i in range(count):
                await a.send(i.to_bytes(4, "big") * (size // 4), stream=i % 4)
                sent += 1

        t = asyncio.get_running_loop().create_task(sender())
        for _ in range(1000):
            await asyncio.sleep(0.005)
            if a._io.registered[1]:              # the sender is parked on writability
                break
        assert a._io.registered[1] and not t.done() and sent < count
        got = []
        for _ in range(count):
            m = await b.recv()
            got.append((m.stream, int.from_bytes(m.data[:4], "big")))
        await t
        assert sorted(got) == sorted((i % 4, i) for i in range(count))       # all there, none twice
        for s in range(4):                                                    # in order within a stream
            assert [i for sid, i in got if sid == s] == list(range(s, count, 4))
        for x in (a, b, lst):
            x.close()

    run(main())


@pytest.mark.parametrize("kind", LOOPS)
def test_sendall_parks_on_a_full_send_buffer_and_reaches_every_association_once(kind):
    # the kernel's SCTP_SENDALL can fail part-way on a full buffer without saying which
    # associations got the message; a retry of it sent the message twice to those
    count, size = 30, 1000

    async def main():
        gw = csctp.aio.Endpoint("127.0.0.1:0")
        gw.sync.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        port = gw.sync.local_addresses[0][1]
        clients = [csctp.connect(f"127.0.0.1:{port}", timeout=30) for _ in range(3)]
        for i, c in enumerate(clients):
            c.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.send(b"%d" % i)
        ids = sorted([(await gw.recv()).assoc_id for _ in clients])

        async def broadcaster():
            for k in range(count):              # far more than the buffers hold: it parks
                assert sorted(await gw.sendall(b"%06d" % k + b"x" * (size - 6))) == ids

        t = asyncio.get_running_loop().create_task(broadcaster())
        for _ in range(1000):
            await asyncio.sleep(0.005)
            if gw._io.registered[1]:             # parked on writability
                break
        assert gw._io.registered[1] and not t.done()

        def drain(c):
            c.settimeout(30)
            return [int(c.recv().data[:6]) for _ in range(count)]

        loop = asyncio.get_running_loop()
        got = await asyncio.gather(*(loop.run_in_executor(None, drain, c) for c in clients))
        await t
        assert got == [list(range(count))] * len(clients)     # each once, in order, to everyone
        for c in clients:
            c.close()
        gw.close()

    run(main(), kind)


@pytest.mark.parametrize("kind", LOOPS)
def test_cancelling_a_parked_send_sends_nothing_and_the_rest_arrive_once(kind):
    # send() is compiled (csctp._engine.aio_send): its retry on a full buffer and its
    # cancellation must behave as any coroutine's
    size = 1000

    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = csctp.aio.Association(lst.accept())
        assert asyncio.iscoroutinefunction(csctp.aio.Association.send)
        with pytest.raises(ValueError, match="send: stream"):
            await a.send(b"x", stream=0x10000)
        with pytest.raises(TypeError):
            await a.send(b"x", flags=1)           # type: ignore[call-arg]
        sent = 0

        async def sender():
            nonlocal sent
            for i in range(5000):                 # far more than both buffers hold: it parks
                await a.send(i.to_bytes(4, "big") * (size // 4))
                sent += 1

        t = asyncio.get_running_loop().create_task(sender())
        for _ in range(1000):
            await asyncio.sleep(0.005)
            if a._io.registered[1]:               # parked on writability, before its retry
                break
        assert a._io.registered[1] and not t.done()
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert not a._io.registered[1]            # the cancelled waiter took the writer callback with it
        await a.send(b"last")                     # same stream: behind every message sent before it
        got = []
        while True:
            m = await b.recv()
            if m.data == b"last":
                break
            got.append(int.from_bytes(m.data[:4], "big"))
        assert got == list(range(sent))           # each send that returned, once, in order; not the cancelled one
        for x in (a, b, lst):
            x.close()

    run(main(), kind)


@pytest.mark.parametrize("kind", LOOPS)
@pytest.mark.parametrize("wake", ["peer abort", "own close"])
def test_a_parked_send_fails_when_the_peer_aborts_or_we_close(kind, wake):
    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = lst.accept()

        async def sender():
            for i in range(5000):                 # far more than both buffers hold: it parks
                await a.send(b"%08d" % i * 125)

        t = asyncio.get_running_loop().create_task(sender())
        for _ in range(1000):
            await asyncio.sleep(0.005)
            if a._io.registered[1]:
                break
        assert a._io.registered[1] and not t.done()
        if wake == "peer abort":
            b.abort()
        else:
            a.close()
        done, _ = await asyncio.wait([t], timeout=30)
        assert done, "the parked send was never woken"
        err = t.exception()
        assert isinstance(err, OSError) and not isinstance(err, BlockingIOError), err
        assert not a._io.registered[1]            # no writer callback left behind
        if wake == "peer abort":
            with pytest.raises(OSError):
                await a.send(b"after the abort")
        else:
            with pytest.raises(OSError, match="closed"):
                await a.send(b"after close")
        for x in (a, b, lst):
            x.close()

    run(main(), kind)


def test_async_events_and_iteration_end_at_shutdown():
    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = csctp.aio.Association(lst.accept())
        b.subscribe("shutdown")
        await a.send(b"1")
        await a.send(b"2")
        a.shutdown()
        kinds = [ev.kind async for ev in b.events()]
        assert kinds == ["shutdown"]
        assert [m.data async for m in b] == [b"1", b"2"]      # kept while events() read past them
        with pytest.raises(csctp.AssociationClosed):
            await b.recv()
        for x in (a, b, lst):
            x.close()

    run(main())


def test_connect_refused_and_timeout_arguments():
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    before = fds()

    async def main():
        with pytest.raises(ConnectionRefusedError):
            await csctp.aio.connect(f"127.0.0.1:{port}", timeout=30)
        ep = csctp.aio.Endpoint()
        with pytest.raises(ConnectionRefusedError):
            await ep.connect(f"127.0.0.1:{port}", timeout=30)
        ep.close()

    run(main())
    assert fds() == before


def test_async_batches_send_everything_and_receive_it():
    count = 300

    async def main():
        lst = csctp.listen("127.0.0.1:0")
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", timeout=30)
        b = csctp.aio.Association(lst.accept())
        sender = asyncio.get_running_loop().create_task(
            a.send_batch([i.to_bytes(4, "big") * 64 for i in range(count)], ppids=9))
        got = []
        for _ in range(count):
            batch = await b.recv_batch(32)
            got += [int.from_bytes(m.copy()[:4], "big") for m in batch if m.ppid == 9]
            if len(got) >= count:
                break
        assert await sender == count
        assert got == list(range(count))                 # one stream: in order, none lost
        for x in (a, b, lst):
            x.close()

    run(main())


def test_aio_listen_accept_and_stream_handles_mirror_the_sync_ones():
    before = fds()

    async def main():
        lst = await csctp.aio.listen("127.0.0.1:0", ostreams=4, instreams=4)
        assert isinstance(lst, csctp.aio.Listener) and lst.address == lst.local_addresses[0]
        accepting = asyncio.get_running_loop().create_task(lst.accept())
        await asyncio.sleep(0.05)
        assert not accepting.done()                          # waits without blocking the loop
        a = await csctp.aio.connect(f"127.0.0.1:{lst.address[1]}", ostreams=4, timeout=30)
        b = await asyncio.wait_for(accepting, 30)
        assert isinstance(b, csctp.aio.Association)
        assert [p.address for p in a.paths()] == a.peer_addresses and a.paths()[0].primary
        assert a.status.state is csctp.AssocState.ESTABLISHED
        for i in range(3):
            await a.send(b"s1-%d" % i, stream=1)
            await a.send(b"s2-%d" % i, stream=2)
        assert [(await b.istream(2).recv()).data for _ in range(3)] == [b"s2-0", b"s2-1", b"s2-2"]
        assert [(await b.recv()).data for _ in range(3)] == [b"s1-0", b"s1-1", b"s1-2"]   # kept, in order
        waiting = asyncio.get_running_loop().create_task(b.istream(3).recv())
        await a.ostream(0).send(b"other")
        await a.sendv([b"three ", b"parts ", b"joined"], stream=3)
        assert (await asyncio.wait_for(waiting, 30)).data == b"three parts joined"
        assert (await b.recv()).data == b"other"
        a.shutdown()
        assert [m async for m in b.istream(1)] == []         # ends at the shutdown
        lst.close()
        with pytest.raises(OSError):
            await lst.accept()
        for x in (a, b):
            x.close()

    run(main())
    assert fds() == before


# The readiness waiter itself, on a pipe: how a waiting task resumes does not depend on SCTP.

@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    os.close(r)
    os.close(w)


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", LOOPS)
def test_a_waiting_task_resumes_inside_the_readiness_callback(kind, pipe):
    # The task's wake-up runs in the loop's reader callback, not one loop turn later:
    # when the callback returns, the task has already run past its wait.
    async def main():
        loop = asyncio.get_running_loop()
        io = csctp.aio._FdWaiter(loop, pipe[0])
        progress = []

        async def waiter():
            await io.wait(0)
            progress.append(asyncio.current_task() is task)

        task = loop.create_task(waiter())
        await asyncio.sleep(0)
        assert io.registered[0] and len(io.waiters[0]) == 1
        seen = []
        fired = loop.create_future()

        def on_readable():                  # wrap the waiter's own callback to look right after it
            io._fire(0)
            seen.append(list(progress))
            loop.remove_reader(pipe[0])
            fired.set_result(None)
        loop.remove_reader(pipe[0])
        loop.add_reader(pipe[0], on_readable)
        os.write(pipe[1], b"x")
        await fired
        await task
        assert seen == [[True]]             # resumed inside the callback, as its own current task
        assert io.waiters[0] == []
        io.close()

    run(main(), kind)


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", LOOPS)
def test_a_wake_from_inside_a_task_resumes_the_waiter_on_a_later_turn(kind, pipe):
    # A task is never resumed inside another one: woken from a task (wake_readers, or the
    # loop nested in a task), the waiter resumes through call_soon as with asyncio's Future.
    async def main():
        loop = asyncio.get_running_loop()
        io = csctp.aio._FdWaiter(loop, pipe[0])
        progress = []

        async def waiter():
            await io.wait(0)
            progress.append(asyncio.current_task())

        tasks = [loop.create_task(waiter()) for _ in range(2)]
        await asyncio.sleep(0)
        io._fire(0)
        assert progress == [] and io.waiters[0] == []
        await asyncio.gather(*tasks)
        assert progress == tasks            # in the order they waited
        t = loop.create_task(waiter())
        await asyncio.sleep(0)
        io.wake_readers()
        assert progress == tasks
        await t
        assert progress[-1] is t
        io.close()

    run(main(), kind)


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", LOOPS)
def test_a_resumed_task_keeps_its_context_and_an_escaping_exception_wakes_the_rest(kind, pipe):
    import contextvars
    var = contextvars.ContextVar("var", default="loop")

    async def main():
        loop = asyncio.get_running_loop()
        io = csctp.aio._FdWaiter(loop, pipe[0])
        seen = []

        async def waiter(name, escape):
            var.set(name)
            await io.wait(0)
            seen.append((name, var.get()))
            if escape:
                raise SystemExit(name)      # escapes a task step (as KeyboardInterrupt would)

        first = loop.create_task(waiter("first", True))
        second = loop.create_task(waiter("second", False))
        await asyncio.sleep(0)
        caught = []

        def on_readable():
            try:
                io._fire(0)
            except SystemExit as e:
                caught.append(str(e))
            caught.append(var.get())        # the callback's own context is untouched
        loop.call_soon(on_readable)
        await second                        # woken on a later turn although the first's step raised
        assert caught == ["first", "loop"]
        assert seen == [("first", "first"), ("second", "second")]
        with pytest.raises(SystemExit):
            first.result()
        io.close()

    run(main(), kind)


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", LOOPS)
def test_cancelled_timed_out_and_closed_waits_leave_nothing_behind(kind, pipe):
    async def main():
        loop = asyncio.get_running_loop()
        io = csctp.aio._FdWaiter(loop, pipe[0])

        async def waiting(write):
            await io.wait(write)

        t = loop.create_task(waiting(0))
        await asyncio.sleep(0)
        t.cancel("stop")
        with pytest.raises(asyncio.CancelledError):
            await t
        assert io.waiters[0] == [] and io.registered == (False, False)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(io.wait(0), 0.01)
        assert io.waiters[0] == [] and io.registered == (False, False)
        w = loop.create_task(waiting(1))                # a pipe's read end never becomes writable
        r = loop.create_task(waiting(0))
        await asyncio.sleep(0)
        assert io.registered == (True, True)
        io.close()
        for x in (r, w):
            with pytest.raises(OSError) as e:
                await x
            assert e.value.errno == 9               # EBADF: socket closed while waiting
        assert io.registered == (False, False)
        with pytest.raises(OSError):
            await io.wait(0)
        os.write(pipe[1], b"x")                         # nothing is watching any more
        await asyncio.sleep(0.01)

    run(main(), kind)
