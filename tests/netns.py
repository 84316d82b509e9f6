"""The two-network test topology: client and server namespaces joined by two veth pairs.

    client netns                                  server netns
      neta 192.0.2.1/24    2001:db8:a::1/64  <->  neta 192.0.2.2/24    2001:db8:a::2/64
      netb 198.51.100.1/24 2001:db8:b::1/64  <->  netb 198.51.100.2/24 2001:db8:b::2/64

Documentation ranges only (RFC 5737, RFC 3849).  Everything is created with
``ip``/``tc``/``nft``/``sysctl`` inside the test kernel (the VM, or a native kernel
when running as root) and removed by :meth:`TwoNetworks.teardown`, which
deleting the namespaces makes complete: the veth ends, their qdiscs and nftables rules
live inside them.

Code reaches a namespace two ways:

* :meth:`NetNS.entered` switches the *calling thread* into the namespace
  with ``setns(2)`` (ctypes: ``os.setns`` needs Python 3.12) and always
  switches back.  A socket belongs to the namespace it was created in for
  its whole life, so a test creates its sockets inside ``entered()`` and
  uses them from the ordinary pytest process: client and server sockets can
  then sit in different namespaces of one process.
* :meth:`NetNS.popen` starts a separate program from inside ``entered()``
  (a child inherits the forking thread's namespace), for a peer that must
  be killable (SIGKILL tests).  ``ip netns exec`` would do the same but
  also remounts /sys, which costs seconds under emulation.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import socket
import subprocess
import sys
from typing import Dict, Iterator, List, Optional, Sequence

import csctp

CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_counter = itertools.count()

NETS = ("a", "b")
V4 = {"a": "192.0.2.{}", "b": "198.51.100.{}"}
V6 = {"a": "2001:db8:a::{}", "b": "2001:db8:b::{}"}
HOST = {"client": 1, "server": 2}
# socket family and (net, address family) per bound address
LAYOUTS = {
    "ipv4": (socket.AF_INET, [("a", socket.AF_INET), ("b", socket.AF_INET)]),
    "ipv6": (socket.AF_INET6, [("a", socket.AF_INET6), ("b", socket.AF_INET6)]),
    "mixed": (socket.AF_INET6, [("a", socket.AF_INET6), ("b", socket.AF_INET)]),
}


def root_problem() -> Optional[str]:
    """Why the topology cannot be built here, or None."""
    if os.geteuid() != 0:
        return ("network namespaces need root: run the suite with `make test` (it boots a VM where "
                "tests run as root) or as root on a kernel with SCTP, veth and netem")
    if not os.path.isdir("/proc/self/ns") or not os.path.exists("/proc/thread-self/ns/net"):
        return "this kernel has no network namespaces (/proc/thread-self/ns/net missing)"
    return None


def _run(argv: Sequence[str], check: bool = True, input: Optional[str] = None) -> subprocess.CompletedProcess:
    p = subprocess.run(list(argv), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns(CLONE_NEWNET): {os.strerror(err)}")


class NetNS:
    """One named network namespace (``ip netns add``)."""

    def __init__(self, name: str, create: bool = True):
        self.name = name
        if create:
            _run(["ip", "netns", "add", name])

    def batch(self, commands: Sequence[str]) -> None:
        """Run ``ip`` commands inside the namespace in one process (``ip -batch``).

        Processes are slow to start under emulation (about a second each in
        the test VM), so the topology is built with as few as possible.
        """
        with self.entered():
            p = subprocess.run(["ip", "-batch", "-"], input="\n".join(commands) + "\n",
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"ip -batch in {self.name} failed ({p.returncode}): {p.stderr.strip()}")

    def nft(self, ruleset: str) -> None:
        """Load an nftables *ruleset* (``nft -f -`` syntax) into this namespace."""
        with self.entered():
            _run(["nft", "-f", "-"], input=ruleset)

    def drop_bare_sctp(self) -> None:
        """Drop IP protocol 132 arriving here, as a middlebox that passes only TCP/UDP would.

        An nftables input rule, so SCTP inside UDP (RFC 6951) still gets
        through, and a packet socket on the link still sees the dropped
        frames (taps run before the netfilter hooks).
        """
        self.nft("table inet csctp_no_sctp {\n"
                 "  chain input {\n"
                 "    type filter hook input priority 0; policy accept;\n"
                 "    meta l4proto sctp counter drop\n"
                 "  }\n"
                 "}\n")

    def ip(self, *args: str) -> str:
        return _run(["ip", "-n", self.name, *args]).stdout

    def tc(self, *args: str, check: bool = True) -> str:
        with self.entered():
            return _run(["tc", *args], check=check).stdout

    def sysctl(self, key: str, value) -> None:
        # /proc/sys/net resolves to the opening thread's namespace: no process needed
        with self.entered():
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(f"{value}\n")

    def sysctl_get(self, key: str) -> str:
        with self.entered():
            with open("/proc/sys/" + key.replace(".", "/")) as f:
                return f.read().strip()

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Run the body with this thread inside the namespace; always switch back."""
        here = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            there = os.open(f"/run/netns/{self.name}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns(there)
                try:
                    yield
                finally:
                    _setns(here)
            finally:
                os.close(there)
        finally:
            os.close(here)

    def socket(self, family=socket.AF_INET, type=socket.SOCK_STREAM) -> csctp.Socket:
        """A csctp.Socket created inside this namespace (it stays there for life)."""
        with self.entered():
            return csctp.Socket(family, type)

    def popen(self, argv: Sequence[str], **kw) -> subprocess.Popen:
        """Start a program inside the namespace: it inherits this thread's namespace at fork."""
        with self.entered():
            return subprocess.Popen(list(argv), **kw)

    def link_stats(self, dev: str) -> Dict[str, int]:
        """Kernel counters of *dev*: tx/rx packets and bytes."""
        info = json.loads(self.ip("-s", "-j", "link", "show", "dev", dev))[0]
        st = info["stats64"]
        return {"tx_packets": st["tx"]["packets"], "tx_bytes": st["tx"]["bytes"],
                "rx_packets": st["rx"]["packets"], "rx_bytes": st["rx"]["bytes"]}

    def delete(self) -> None:
        _run(["ip", "netns", "del", self.name], check=False)


class TwoNetworks:
    """Client and server namespaces joined by net A and net B (see the module doc).

    Interfaces are called ``neta`` and ``netb`` on both sides.  ``addr(side,
    net, family)`` gives an address; ``link_down``/``link_up`` cut and restore
    a path; ``netem`` adds loss/delay/reordering to one side of a path.
    """

    def __init__(self):
        tag = f"{os.getpid()}-{next(_counter)}"
        self.client: Optional[NetNS] = None
        self.server: Optional[NetNS] = None
        try:
            self.client = NetNS(f"csctp-{tag}-c", create=False)
            self.server = NetNS(f"csctp-{tag}-s", create=False)
            _run(["ip", "-batch", "-"], input=f"netns add {self.client.name}\nnetns add {self.server.name}\n")
            for side, ns in (("client", self.client), ("server", self.server)):
                # RFC 5061 ASCONF needs AUTH (RFC 4895): without it Linux refuses the INIT
                for key, value in (("net.sctp.addip_enable", 1), ("net.sctp.auth_enable", 1),
                                   ("net.sctp.prsctp_enable", 1),
                                   # manual IPv6 addresses must survive a link flap (failover tests)
                                   ("net.ipv6.conf.all.keep_addr_on_down", 1),
                                   ("net.ipv6.conf.default.keep_addr_on_down", 1)):
                    ns.sysctl(key, value)
                cmds = ["link set lo up"]
                if side == "client":
                    cmds += [f"link add net{n} type veth peer name net{n} netns {self.server.name}" for n in NETS]
                for n in NETS:
                    cmds += [f"addr add {self.addr(side, n)}/24 dev net{n}",
                             f"addr add {self.addr(side, n, socket.AF_INET6)}/64 dev net{n} nodad"]
                ns.batch(cmds)
            for ns in (self.client, self.server):
                ns.batch([f"link set net{n} up" for n in NETS])
        except BaseException:
            self.teardown()
            raise

    def ns(self, side: str) -> NetNS:
        if side not in HOST:
            raise ValueError(f"side must be 'client' or 'server', not {side!r}")
        return self.client if side == "client" else self.server

    @staticmethod
    def addr(side: str, net: str, family=socket.AF_INET) -> str:
        table = V4 if family == socket.AF_INET else V6
        return table[net].format(HOST[side])

    def addrs(self, side: str, family=socket.AF_INET, nets: Sequence[str] = NETS) -> List[str]:
        return [self.addr(side, n, family) for n in nets]

    def socket(self, side: str, family=socket.AF_INET, type=socket.SOCK_STREAM) -> csctp.Socket:
        return self.ns(side).socket(family, type)

    def pair(self, kind: str = "ipv4", port: int = 2905, timeout: float = 20):
        """A multi-homed one-to-one association: (client, server-side, listener).

        *kind*: ``ipv4``, ``ipv6`` or ``mixed`` (an AF_INET6 socket bound to
        net A's IPv6 address and net B's IPv4 address).  Each side is bound
        to both networks with ``bindx`` and the client connects to both server
        addresses with ``connectx``.
        """
        family, layout = LAYOUTS[kind]
        srv = self.socket("server", family)
        try:
            srv.bindx([(self.addr("server", n, f), port) for n, f in layout])
            srv.listen(8)
            srv.settimeout(timeout)
            cli = self.socket("client", family)
            try:
                cli.bindx([(self.addr("client", n, f), 0) for n, f in layout])
                cli.settimeout(timeout)
                cli.connectx([(self.addr("server", n, f), port) for n, f in layout])
                conn, _ = srv.accept()
            except BaseException:
                cli.close()
                raise
        except BaseException:
            srv.close()
            raise
        conn.settimeout(timeout)
        return cli, conn, srv

    def link_down(self, net: str, side: str = "client") -> None:
        self.ns(side).ip("link", "set", f"net{net}", "down")

    def link_up(self, net: str, side: str = "client") -> None:
        self.ns(side).ip("link", "set", f"net{net}", "up")

    def netem(self, net: str, spec: str, side: str = "client") -> None:
        """``tc qdisc replace dev net<net> root netem <spec>`` on one side."""
        self.ns(side).tc("qdisc", "replace", "dev", f"net{net}", "root", "netem", *spec.split())

    def clear_netem(self, net: str, side: str = "client") -> None:
        self.ns(side).tc("qdisc", "del", "dev", f"net{net}", "root", check=False)

    def stats(self, net: str, side: str = "client") -> Dict[str, int]:
        return self.ns(side).link_stats(f"net{net}")

    def teardown(self) -> None:
        for ns in (self.client, self.server):
            if ns is not None:
                ns.delete()


def python_in(ns: NetNS, script: str, *args: str, **kw) -> subprocess.Popen:
    """Run a Python script from tests/ with this interpreter inside *ns*."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), script)
    return ns.popen([sys.executable, path, *args], **kw)
