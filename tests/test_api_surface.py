"""The shape of csctp's front door: sync and aio name for name, one shape for one thing, what csctp exports.

Nothing here needs the kernel: these tests read the classes and modules
(and parse hand-made notification bytes).
"""

import dataclasses
import inspect
import os
import re
import struct
import subprocess
import sys
import typing

import pytest

import csctp
import csctp.aio
import csctp.association
import csctp.endpoint
from csctp import _notify

NOKERNEL = pytest.mark.nokernel

# The classes of the front door and their asyncio twins.
PAIRS = [
    (csctp.Association, csctp.aio.Association),
    (csctp.Endpoint, csctp.aio.Endpoint),
    (csctp.EndpointAssociation, csctp.aio.EndpointAssociation),
    (csctp.Listener, csctp.aio.Listener),
    (csctp.OutStream, csctp.aio.OutStream),
    (csctp.InStream, csctp.aio.InStream),
]

# The intended differences, and why; everything else must match.
SYNC_ONLY = {
    # asyncio code bounds a wait with asyncio.wait_for / asyncio.timeout, not a socket timeout
    "settimeout", "gettimeout",
    # the loop does the polling: events() wakes when a notification arrives
    "poll_events",
}
AIO_ONLY = {
    # the wrapped (non-blocking) synchronous object
    "sync",
    # Association.shutdown(wait=...) in sync code; a coroutine of its own here
    "wait_closed",
}
# Methods whose parameters differ on purpose: (class name, method) -> why.
SIGNATURE_DIFFERENCES = {
    ("Association", "shutdown"): "sync shutdown(wait=) blocks until the end; aio shutdown() + await wait_closed()",
}
# Names both layers share as the very same objects (exceptions, snapshots, type aliases).
SHARED = {"AssociationClosed", "PendingLimitError", "Path", "Address", "SockAddr", "Event"}
# asyncio-style extras of csctp.aio, as asyncio.start_server is over sockets, and its protocols
# (callbacks instead of coroutines), as loop.create_connection / create_server are.
AIO_EXTRAS = {"Server", "start_server", "Protocol", "Transport", "create_connection", "create_server"}
# The calls that wait in sync code: coroutines in csctp.aio wherever they exist.
WAITING = {"recv", "recv_into", "recv_batch", "send", "sendv", "send_batch", "sendall", "connect", "accept",
           "wait_closed"}


def public(cls):
    return {n for n in dir(cls) if not n.startswith("_")}


def returns(fn):
    return inspect.signature(fn).return_annotation


def kind(member):
    """'method' or 'attribute' (a property, a slot or a plain value: read without calling)."""
    return "method" if callable(member) and not isinstance(member, property) else "attribute"


@NOKERNEL
@pytest.mark.parametrize("sync, aio", PAIRS, ids=[s.__name__ for s, _ in PAIRS])
def test_aio_classes_have_the_names_of_the_sync_ones(sync, aio):
    assert sync.__name__ == aio.__name__
    assert public(sync) - public(aio) <= SYNC_ONLY, "missing in csctp.aio"
    assert public(aio) - public(sync) <= AIO_ONLY, "missing in csctp"


@NOKERNEL
@pytest.mark.parametrize("sync, aio", PAIRS, ids=[s.__name__ for s, _ in PAIRS])
def test_aio_classes_make_the_same_property_or_method_choice_with_the_same_parameters(sync, aio):
    for name in sorted(public(sync) & public(aio)):
        s, a = inspect.getattr_static(sync, name), inspect.getattr_static(aio, name)
        assert kind(s) == kind(a), f"{sync.__name__}.{name}"
        if callable(s) and (sync.__name__, name) not in SIGNATURE_DIFFERENCES:
            assert list(inspect.signature(s).parameters) == list(inspect.signature(a).parameters), \
                f"{sync.__name__}.{name}"
        if callable(a) and name in WAITING:
            assert inspect.iscoroutinefunction(a), f"aio.{aio.__name__}.{name} should be a coroutine"


@NOKERNEL
def test_the_modules_offer_the_same_entry_points():
    sync_api = (set(csctp.association.__all__) | set(csctp.endpoint.__all__)) - SHARED
    assert sync_api == {"Association", "Endpoint", "EndpointAssociation", "Listener", "OutStream", "InStream",
                        "connect", "listen"}
    assert set(csctp.aio.__all__) == sync_api | AIO_EXTRAS
    for name in sync_api:
        assert getattr(csctp, name) is getattr(csctp.association, name, None) or \
            getattr(csctp, name) is getattr(csctp.endpoint, name)
    for fn in ("start_server", "create_connection", "create_server"):
        assert inspect.iscoroutinefunction(getattr(csctp.aio, fn)), fn
    for fn in ("connect", "listen"):
        s, a = getattr(csctp, fn), getattr(csctp.aio, fn)
        assert inspect.iscoroutinefunction(a)
        assert list(inspect.signature(s).parameters) == list(inspect.signature(a).parameters), fn


@NOKERNEL
def test_one_to_many_is_the_endpoint_not_a_listen_mode():
    for listen in (csctp.listen, csctp.aio.listen):
        assert "mode" not in inspect.signature(listen).parameters
    with pytest.raises(TypeError):
        csctp.listen("127.0.0.1:0", mode="one-to-many")         # type: ignore[call-arg]
    assert inspect.signature(csctp.listen).return_annotation in (csctp.Listener, "Listener")


@NOKERNEL
def test_an_endpoint_association_has_the_names_of_an_association():
    # what concerns one association has the same name, property-or-method choice and return type
    ea, a = csctp.EndpointAssociation, csctp.Association
    assert public(ea) - public(a) == {"endpoint"}
    for name in ("assoc_id", "status", "peer_addresses", "local_addresses", "primary", "paths", "send", "sendv",
                 "ostream", "shutdown", "abort"):
        assert name in public(ea)
    for name in public(ea) & public(a):
        assert kind(inspect.getattr_static(ea, name)) == kind(inspect.getattr_static(a, name)), name
    for name in ("paths", "send", "sendv", "ostream", "shutdown", "abort"):     # annotations, as written
        assert returns(getattr(ea, name)) == returns(getattr(a, name)), name
    for name in ("status", "peer_addresses", "local_addresses", "primary"):
        assert returns(getattr(ea, name).fget) == returns(getattr(a, name).fget), name
    # the per-id methods it replaces are gone
    for gone in ("status", "peer_addresses", "abort", "shutdown"):
        assert gone not in public(csctp.Endpoint), gone
    assert returns(csctp.Endpoint.sendall) == returns(csctp.aio.Endpoint.sendall) == "List[int]"


@NOKERNEL
def test_path_is_a_frozen_snapshot_with_named_state():
    fields = [f.name for f in dataclasses.fields(csctp.Path)]
    assert fields == ["address", "state", "srtt", "rto", "cwnd", "mtu", "primary"]
    p = csctp.Path(("192.0.2.1", 2905), csctp.PathState.ACTIVE, 1, 200, 4380, 1500, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.state = csctp.PathState.INACTIVE                     # type: ignore[misc]
    assert "PathState.ACTIVE" in repr(p)


@NOKERNEL
def test_every_name_in_all_resolves_and_dir_lists_the_batch_names():
    for name in csctp.__all__:
        assert hasattr(csctp, name), name
    assert {"BatchPool", "Batch", "BatchMessage", "send_batch"} <= set(dir(csctp))
    assert {"AssocState", "PathState", "AssocChangeState", "PeerAddrChangeState", "NotificationType", "Scheduler",
            "PrPolicy", "Path", "EndpointAssociation"} <= set(csctp.__all__)
    assert csctp.AssocState.ESTABLISHED == csctp.SCTP_ESTABLISHED       # the SCTP_* names are their members


@NOKERNEL
def test_importing_csctp_does_not_import_numpy_until_a_batch_name_is_used():
    code = "import sys, csctp; dir(csctp); csctp.Endpoint; assert 'numpy' not in sys.modules"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    from csctp import _batch                       # the first use loads it (numpy) and binds the name
    assert csctp.BatchPool is _batch.BatchPool and csctp.send_batch is _batch.send_batch


@NOKERNEL
def test_event_type_is_the_union_of_the_notification_classes():
    classes = {c for c in vars(_notify).values() if isinstance(c, type) and issubclass(c, _notify.Notification)}
    assert set(typing.get_args(csctp.Event)) == classes


@NOKERNEL
def test_events_print_state_names():
    up = csctp.parse_notification(struct.pack("=HHIHHHHi", csctp.NotificationType.ASSOC_CHANGE, 0, 20,
                                              csctp.AssocChangeState.COMM_UP, 0, 10, 10, 3))
    assert "state=COMM_UP" in repr(up)
    sin = struct.pack("=HH4s", 2, 0, bytes([192, 0, 2, 1])).ljust(128, b"\0")
    pc = csctp.parse_notification(struct.pack("=HHI128siii", csctp.NotificationType.PEER_ADDR_CHANGE, 0, 148, sin,
                                              csctp.PeerAddrChangeState.ADDR_UNREACHABLE, 0, 3))
    assert "state=ADDR_UNREACHABLE" in repr(pc)


@NOKERNEL
def test_a_status_prints_state_names():
    # the layer's status is SCTP_STATUS with its states as enums (the kernel test reads a live one)
    Status, PeerAddrInfo = csctp.options.Status, csctp.options.PeerAddrInfo
    primary = PeerAddrInfo(**dict.fromkeys(PeerAddrInfo._fields, 0))._replace(state=csctp.PathState.ACTIVE)
    st = Status(**dict.fromkeys(Status._fields, 0))._replace(state=csctp.AssocState.ESTABLISHED, primary=primary)
    assert "AssocState.ESTABLISHED" in repr(st) and "PathState.ACTIVE" in repr(st)


# ---- the documentation leads with the front door (tests/test_docs.py runs every block) ----

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@NOKERNEL
def test_the_readme_opens_with_the_front_door():
    with open(os.path.join(ROOT, "README.md")) as f:
        first = re.findall(r"```python\n(.*?)```", f.read(), re.S)[0]
    assert "csctp.listen(" in first and "csctp.connect(" in first and "csctp.Socket" not in first
