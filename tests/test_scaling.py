"""Using every core: SO_REUSEPORT listeners, associations handed to worker processes by descriptor, threads.

docs/scaling.md is the guide; examples/worker_processes.py the whole program.
"""

import asyncio
import errno
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time

import pytest

import csctp
import csctp.aio
from csctp import AssocChange, AssocChangeState

HOST = "127.0.0.1"
# bounded: with two listeners and a hash of the client's port choosing one, 16 associations
# all landing on the same listener has probability 2**-15
MAX_CLIENTS = 16


def _accept_all(listener):
    """Every association waiting in *listener*'s backlog (non-blocking)."""
    got = []
    listener.settimeout(0)
    while True:
        try:
            got.append(listener.accept())
        except BlockingIOError:
            return got


def _readable(fileno, timeout):
    return bool(select.select([fileno], [], [], timeout)[0])


# ---- reuse_port -------------------------------------------------------------------------


def test_two_listeners_with_reuse_port_share_a_port_and_both_accept():
    first = csctp.listen(f"{HOST}:0", reuse_port=True)
    port = first.address[1]
    second = csctp.listen(f"{HOST}:{port}", reuse_port=True)
    clients, accepted = [], {0: [], 1: []}
    try:
        assert second.address[1] == port
        for lst in (first, second):
            assert lst.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        for i in range(MAX_CLIENTS):
            c = csctp.connect(f"{HOST}:{port}", timeout=10)
            clients.append(c)
            c.send(b"hello %d" % i, stream=1, ppid=46)
            for k, lst in enumerate((first, second)):
                # the association is in one backlog or the other once connect returned
                accepted[k].extend(_accept_all(lst))
            if accepted[0] and accepted[1]:
                break
        assert accepted[0] and accepted[1], f"all {len(clients)} associations went to one listener"
        assert len(accepted[0]) + len(accepted[1]) == len(clients)
        for k in (0, 1):
            a = accepted[k][0]
            a.settimeout(10)
            m = a.recv()
            assert m.data.startswith(b"hello ") and (m.stream, m.ppid) == (1, 46)
    finally:
        for a in accepted[0] + accepted[1] + clients:
            a.close()
        first.close()
        second.close()


def test_two_endpoints_with_reuse_port_share_a_port_and_both_serve_associations():
    first = csctp.Endpoint(f"{HOST}:0", reuse_port=True)
    port = first.local_addresses[0][1]
    second = csctp.Endpoint(f"{HOST}:{port}", reuse_port=True)
    clients, served = [], set()
    try:
        for ep in (first, second):
            ep.settimeout(10)
        for i in range(MAX_CLIENTS):
            c = csctp.connect(f"{HOST}:{port}", timeout=10)
            clients.append(c)
            c.send(b"to whoever has me", stream=2, ppid=3)
            ready = select.select([first.fileno(), second.fileno()], [], [], 10)[0]
            assert ready, "the message reached neither endpoint"
            for k, ep in enumerate((first, second)):
                if ep.fileno() in ready:
                    m = ep.recv()
                    assert (m.data, m.stream, m.ppid) == (b"to whoever has me", 2, 3)
                    ep.send(b"served by %d" % k, assoc_id=m.assoc_id, stream=2)
                    served.add(k)
            assert c.recv().data.startswith(b"served by ")
            if served == {0, 1}:
                break
        assert served == {0, 1}, f"all {len(clients)} associations went to one endpoint"
    finally:
        for c in clients:
            c.close()
        first.close()
        second.close()


@pytest.mark.parametrize("second_reuse", [False, True])
def test_without_reuse_port_on_both_the_second_bind_fails_naming_listen(second_reuse):
    first = csctp.listen(f"{HOST}:0")
    port = first.address[1]
    try:
        with pytest.raises(OSError) as ei:
            csctp.listen(f"{HOST}:{port}", reuse_port=second_reuse)
        assert ei.value.errno == errno.EADDRINUSE
        assert ei.value.strerror.startswith("listen: bind(") and "reuse_port=True" in ei.value.strerror
    finally:
        first.close()


def test_without_reuse_port_a_second_endpoint_fails_naming_endpoint():
    first = csctp.Endpoint(f"{HOST}:0")
    port = first.local_addresses[0][1]
    try:
        with pytest.raises(OSError) as ei:
            csctp.Endpoint(f"{HOST}:{port}")
        assert ei.value.errno == errno.EADDRINUSE
        assert ei.value.strerror.startswith("Endpoint: bind(") and "reuse_port=True" in ei.value.strerror
    finally:
        first.close()


@pytest.mark.nokernel
@pytest.mark.parametrize("value, exc", [("yes", TypeError), (None, TypeError), (1.0, TypeError),
                                        (2, ValueError), (-1, ValueError)])
def test_a_bad_reuse_port_is_refused_before_any_socket(value, exc):
    with pytest.raises(exc, match="^listen: reuse_port must be"):
        csctp.listen(f"{HOST}:0", reuse_port=value)
    with pytest.raises(exc, match="^Endpoint: reuse_port must be"):
        csctp.Endpoint(f"{HOST}:0", reuse_port=value)
    with pytest.raises(exc, match="^listen: reuse_port must be"):
        asyncio.run(csctp.aio.listen(f"{HOST}:0", reuse_port=value))


@pytest.mark.nokernel
def test_reuse_port_on_an_endpoint_needs_an_address_to_bind():
    with pytest.raises(ValueError, match="reuse_port=True needs local="):
        csctp.Endpoint(reuse_port=True)


def test_aio_listen_endpoint_and_start_server_take_reuse_port():
    async def main():
        async def handler(a):
            m = await a.recv()
            await a.send(b"from a server: " + m.data, stream=m.stream, ppid=m.ppid)

        servers = [await csctp.aio.start_server(handler, f"{HOST}:0", reuse_port=True)]
        port = servers[0].address[1]
        servers.append(await csctp.aio.start_server(handler, f"{HOST}:{port}", reuse_port=True))
        lst = await csctp.aio.listen(f"{HOST}:{port}", reuse_port=True)
        ep = csctp.aio.Endpoint(f"{HOST}:{port}", reuse_port=True)
        try:
            for s in (servers[0].listener, servers[1].listener, lst, ep):
                assert s.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
                assert s.local_addresses[0][1] == port
        finally:
            lst.close()
            ep.close()
        # the two servers are left on the port: every association gets its answer from one of them
        for i in range(3):
            c = await csctp.aio.connect(f"{HOST}:{port}", timeout=10)
            await c.send(b"%d" % i, stream=1, ppid=9)
            m = await asyncio.wait_for(c.recv(), 10)
            assert (m.data, m.stream, m.ppid) == (b"from a server: %d" % i, 1, 9)
            c.close()
        for s in servers:
            s.close()
            await s.wait_closed()

    asyncio.run(main())


# ---- handing associations to worker processes -----------------------------------------------

# The worker: adopt one association by descriptor, report what arrives, echo it, then end it.
WORKER = r"""
import json, os, socket, sys
import csctp
ctl = socket.socket(fileno=int(sys.argv[1]))
msg, fds, _, _ = socket.recv_fds(ctl, 16, 1)
assert msg == b"A" and len(fds) == 1, (msg, fds)
a = csctp.Association(csctp.Socket(fileno=fds[0]))
a.settimeout(30)
ctl.sendall(b"adopted\n")
seen = []
for _ in range(int(sys.argv[2])):
    m = a.recv()
    seen.append([m.data.decode(), m.stream, m.ppid])
    a.send(b"worker %d: " % os.getpid() + m.data, stream=m.stream, ppid=m.ppid)
a.shutdown(wait=30)
print(json.dumps({"pid": os.getpid(), "seen": seen}))
"""


def _start_worker(n_messages):
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    p = subprocess.Popen([sys.executable, "-c", WORKER, str(child_end.fileno()), str(n_messages)],
                         pass_fds=[child_end.fileno()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child_end.close()
    return p, parent_end


def _comm_up(ep):
    """The id of the next association that comes up on *ep* (assoc_change subscribed)."""
    for item in ep.items():
        if isinstance(item, AssocChange) and item.state == AssocChangeState.COMM_UP:
            return item.assoc_id
    raise AssertionError("unreachable: items() ends only by raising")


def test_a_peeled_off_association_works_in_the_worker_process_it_was_handed_to():
    ep = csctp.Endpoint(f"{HOST}:0")
    ep.settimeout(30)
    ep.subscribe("assoc_change")
    port = ep.local_addresses[0][1]
    worker, ctl = _start_worker(3)
    client = None
    try:
        client = csctp.connect(f"{HOST}:{port}", timeout=30)
        a = ep.peeloff(_comm_up(ep))
        fd = a.detach()
        assert a.closed
        socket.send_fds(ctl, [b"A"], [fd])
        assert _readable(ctl.fileno(), 60), "the worker never adopted the association"
        assert ctl.recv(64) == b"adopted\n"
        # the parent's copy is closed before anything is sent: the worker's keeps the association up
        os.close(fd)
        sent = [(b"CER", 0, 46), (b"ULR", 3, 46), (b"M3UA DATA", 5, 3)]
        for data, stream, ppid in sent:
            client.send(data, stream=stream, ppid=ppid)
        client.settimeout(30)
        echoes = [client.recv() for _ in sent]
        with pytest.raises(csctp.AssociationClosed):     # the worker's shutdown(wait=) on a peeled-off socket
            client.recv()
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err.decode()
        report = json.loads(out)
        assert report["seen"] == [[d.decode(), s, p] for d, s, p in sent]
        assert [(m.data, m.stream, m.ppid) for m in echoes] == \
            [(b"worker %d: " % report["pid"] + d, s, p) for d, s, p in sent]
        assert ep.associations() == []                   # it left the endpoint at peeloff
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        ctl.close()
        if client is not None:
            client.close()
        ep.close()


def test_detach_refuses_while_messages_read_ahead_are_held_here():
    ep = csctp.Endpoint(f"{HOST}:0")
    ep.settimeout(10)
    port = ep.local_addresses[0][1]
    with csctp.connect(f"{HOST}:{port}", timeout=10) as client:
        client.send(b"one", stream=1)
        client.send(b"two", stream=1)
        first = ep.recv()
        assert _readable(ep.fileno(), 10)
        assert ep.poll_events() == []                    # reads "two" ahead into the endpoint's queue
        a = ep.peeloff(first.assoc_id)                   # "two" moves with it, in user space
        with pytest.raises(RuntimeError, match=r"^Association.detach: 1 item\(s\) received"):
            a.detach()
        a.settimeout(10)
        assert a.recv().data == b"two"
        fd = a.detach()
        b = csctp.Association(csctp.Socket(fileno=fd))   # adopted here: same association, same peer
        b.settimeout(10)
        client.send(b"three", stream=2, ppid=7)
        m = b.recv()
        assert (m.data, m.stream, m.ppid) == (b"three", 2, 7)
        b.close()
    ep.close()
    with pytest.raises(OSError, match="detach: the association is closed"):
        b.detach()


# ---- threads --------------------------------------------------------------------------------


def test_threads_each_blocked_in_their_own_association_receive_concurrently():
    ep = csctp.Endpoint(f"{HOST}:0")
    ep.settimeout(30)
    ep.subscribe("assoc_change")
    port = ep.local_addresses[0][1]
    n = 3
    clients = [csctp.connect(f"{HOST}:{port}", timeout=30) for _ in range(n)]
    owned = [ep.peeloff(_comm_up(ep)) for _ in range(n)]
    results = {}
    waiting = threading.Barrier(n + 1, timeout=30)

    def serve(k, a):
        a.settimeout(30)
        waiting.wait()
        m = a.recv()                                     # blocks with the GIL released
        results[k] = (m.data, m.stream, m.ppid)
        a.send(b"thread %d" % k, stream=m.stream, ppid=m.ppid)

    threads = [threading.Thread(target=serve, args=(k, a)) for k, a in enumerate(owned)]
    try:
        for t in threads:
            t.start()
        waiting.wait()
        time.sleep(0.5)                                  # let them reach recv (not an assertion: a head start)
        peer_of = {}
        for c in clients:
            peer_of[c.local_addresses[0][1]] = c
        # the main thread sends while all n threads wait in recv: possible only if their waits release the GIL
        for a in reversed(owned):
            c = peer_of[a.peer_addresses[0][1]]
            c.send(b"for %d" % owned.index(a), stream=4, ppid=60)
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
        assert results == {k: (b"for %d" % k, 4, 60) for k in range(n)}
        for a in owned:
            c = peer_of[a.peer_addresses[0][1]]
            c.settimeout(10)
            assert c.recv().data == b"thread %d" % owned.index(a)
    finally:
        for x in owned + clients:
            x.close()
        ep.close()
