"""Traffic for the reliability tests: numbered messages, a receiving thread, and the checks.

Every message carries ``b"<stream>:<seq>:"`` plus padding, so the receiver
can prove that each stream's messages arrived complete, in order and once.
The receiving thread runs while the test sends (csctp releases the GIL in
every system call), and every wait is bounded by a deadline.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Tuple

from tests import sctp_raw


def payload(stream: int, seq: int, size: int = 64) -> bytes:
    head = b"%d:%d:" % (stream, seq)
    return head + b"x" * max(0, size - len(head))


def parse_payload(data: bytes) -> Tuple[int, int]:
    s, q, _ = data.split(b":", 2)
    return int(s), int(q)


class Collector(threading.Thread):
    """Receives everything on *sock* (data and notifications) until stopped, closed or past *deadline*."""

    def __init__(self, sock, deadline: float, poll: float = 0.5):
        super().__init__(daemon=True)
        self.sock = sock
        self.deadline = deadline
        self.poll = poll
        self.data: List[Tuple[int, bytes, bool, int]] = []     # (stream, data, unordered, assoc_id)
        self.events: list = []
        self.eof = False
        self.error: Optional[BaseException] = None
        self.stopping = threading.Event()
        self.cond = threading.Condition()
        sock.settimeout(poll)

    def run(self):
        try:
            while not self.stopping.is_set() and time.monotonic() < self.deadline:
                try:
                    m = self.sock.recv()
                except TimeoutError:
                    continue
                with self.cond:
                    if m.is_notification:
                        self.events.append(sctp_raw.parse_notification(m.data))
                    elif not m.data:
                        self.eof = True
                    else:
                        self.data.append((m.stream, m.data, m.unordered, m.assoc_id))
                    self.cond.notify_all()
                if self.eof:
                    break
        except BaseException as e:    # reported by wait_for / stop
            self.error = e
        finally:
            with self.cond:
                self.cond.notify_all()

    def wait_for(self, pred: Callable[["Collector"], bool], timeout: float) -> bool:
        """Wait until pred(self) holds, the thread ends, or *timeout* passes."""
        end = min(time.monotonic() + timeout, self.deadline)
        with self.cond:
            while not pred(self):
                left = end - time.monotonic()
                if left <= 0 or not self.is_alive():
                    return pred(self)
                self.cond.wait(min(left, 0.5))
            return True

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.join(timeout)
        if self.error is not None:
            raise self.error

    def events_of(self, kind) -> list:
        with self.cond:
            return [e for e in self.events if isinstance(e, kind)]


def check_streams(received: List[Tuple[int, bytes, bool, int]], per_stream: Dict[int, int],
                  ordered: bool = True) -> Dict[str, int]:
    """Assert every stream got seq 0..n-1 exactly once (in order if *ordered*); return counts."""
    got: Dict[int, List[int]] = defaultdict(list)
    for stream, data, _unordered, _aid in received:
        s, q = parse_payload(data)
        assert s == stream, f"message {data[:20]!r} arrived on stream {stream}"
        got[stream].append(q)
    expected_total = sum(per_stream.values())
    dups = sum(len(v) - len(set(v)) for v in got.values())
    lost = sum(len(set(range(n)) - set(got.get(s, []))) for s, n in per_stream.items())
    assert dups == 0, f"{dups} duplicated messages"
    assert lost == 0, f"{lost} of {expected_total} messages lost"
    if ordered:
        for s, seqs in got.items():
            assert seqs == list(range(per_stream[s])), f"stream {s} out of order"
    else:
        for s, seqs in got.items():
            assert sorted(seqs) == list(range(per_stream[s]))
    return {"sent": expected_total, "received": len(received), "lost": lost, "duplicated": dups}
