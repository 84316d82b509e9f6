"""Load: one one-to-many endpoint serving many associations; many open/close cycles.

``make test`` runs 100 associations and 500 cycles; ``make test-long`` the
issue's 1,000 associations and 10,000 cycles.  Every association gets
traffic both ways; fds and RSS are measured and printed.
"""

import resource
import socket

import pytest

import csctp
from csctp import constants as C
from tests.figures import maxrss_kib, open_fds, record, rss_kib

STREAMS = 10


def _raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        new_hard = max(hard, need) if hard != resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, new_hard))
    return soft, hard


def _serve_many(n_assoc, per_assoc=3):
    limits = _raise_fd_limit(n_assoc + 256)
    base_fds, base_rss = open_fds(), rss_kib()
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET)
    clients = []
    try:
        srv.bind(("127.0.0.1", 0))
        srv.listen(n_assoc)
        srv.settimeout(30)
        port = srv.getsockname()[1]
        for i in range(n_assoc):
            c = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
            clients.append(c)
            c.settimeout(30)
            # spread the clients over 127.0.0.0/8 source addresses (all loopback)
            c.bind((f"127.0.{1 + i // 250}.{1 + i % 250}", 0))
            c.connect(("127.0.0.1", port))
        peak_fds = open_fds()
        for i, c in enumerate(clients):
            for k in range(per_assoc):
                c.send(b"%d:%d" % (i, k), stream=(i + k) % STREAMS, ppid=i)
        by_assoc = {}
        for _ in range(n_assoc * per_assoc):
            m = srv.recv()
            assert not m.is_notification
            i, k = map(int, m.data.split(b":"))
            assert m.ppid == i and m.stream == (i + k) % STREAMS
            by_assoc.setdefault(m.assoc_id, []).append((i, k))
        assert len(by_assoc) == n_assoc                     # one association per client
        for aid, items in by_assoc.items():
            i = items[0][0]
            assert items == [(i, k) for k in range(per_assoc)]   # in order within each association
            srv.send(b"ack %d" % i, assoc_id=aid, stream=1)
        for i, c in enumerate(clients):
            assert c.recv().data == b"ack %d" % i
        assoc_count = srv.getsockopt(C.SOL_SCTP, C.SCTP_GET_ASSOC_NUMBER)
        assert assoc_count == n_assoc
        peak_rss = rss_kib()
    finally:
        for c in clients:
            c.close()
        srv.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    end_fds = open_fds()
    assert end_fds == base_fds
    assert peak_fds == base_fds + n_assoc + 1
    record(f"one-to-many endpoint, {n_assoc} associations", messages_in=n_assoc * per_assoc,
           messages_out=n_assoc, lost=0, fds_base=base_fds, fds_peak=peak_fds, fds_end=end_fds,
           rss_base_kib=base_rss, rss_peak_kib=peak_rss, maxrss_kib=maxrss_kib())
    return peak_rss - base_rss


def test_one_to_many_endpoint_serves_100_associations():
    growth = _serve_many(100)
    assert growth < 64 * 1024          # KiB: generous; the figure is printed


@pytest.mark.long
def test_one_to_many_endpoint_serves_1000_associations():
    growth = _serve_many(1000)
    assert growth < 256 * 1024


def _open_close(cycles):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(30)
    port = srv.getsockname()[1]
    base_fds, base_rss = open_fds(), rss_kib()
    try:
        for i in range(cycles):
            c = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                c.settimeout(30)
                c.connect(("127.0.0.1", port))
                conn, _ = srv.accept()
                with conn:
                    c.send(b"%d" % i, stream=i % STREAMS)
                    assert conn.recv().data == b"%d" % i
            finally:
                c.close()
            if i == cycles // 10:
                warm_rss = rss_kib()
        end_fds, end_rss = open_fds(), rss_kib()
    finally:
        srv.close()
    assert end_fds == base_fds
    record(f"one-to-one open/close x{cycles}", fds_base=base_fds, fds_end=end_fds,
           rss_base_kib=base_rss, rss_after_10pct_kib=warm_rss, rss_end_kib=end_rss, maxrss_kib=maxrss_kib())
    return end_rss - warm_rss


def test_500_open_close_cycles_leave_no_fd_behind():
    growth = _open_close(500)
    assert growth < 16 * 1024


@pytest.mark.long
def test_10000_open_close_cycles_leave_no_fd_behind():
    growth = _open_close(10_000)
    assert growth < 16 * 1024
