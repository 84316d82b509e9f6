"""The documentation's Python snippets run: every ```python block of README.md and docs/*.md.

A block is runnable unless the line just before its opening fence says why not::

    <!-- not-runnable: a server that waits for peers forever -->
    ```python
    ...

(an HTML comment: invisible on GitHub and in the Sphinx pages).  Each runnable
block runs as a script of its own, in a subprocess with a timeout, in an empty
temporary directory, against the real kernel (so in the test VM); it passes
when it exits 0 and prints no traceback (a thread's exception does not change
the exit status).  Every block, runnable or not, must at least compile, and
every marker must give a reason and sit on a Python block.  The convention is
described in docs/README.md.
"""

import ast
import os
import pathlib
import re
import subprocess
import sys
from typing import List, NamedTuple, Optional, Tuple

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 240           # seconds per snippet: ~10x slower in the emulated VM, slower still on a loaded host
PYTHON_LANGS = {"python", "py", "python3"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
MARKER = re.compile(r"^<!--\s*not-runnable:(.*?)-->\s*$")


class Snippet(NamedTuple):
    path: str                    # relative to the checkout
    line: int                    # 1-based line of the opening fence
    lang: str
    code: str
    not_runnable: Optional[str]  # the marker's reason, None when runnable; "" for a marker without reason

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


class MarkerError(NamedTuple):
    path: str
    line: int
    what: str


def extract(text: str, path: str) -> Tuple[List[Snippet], List[MarkerError]]:
    """The fenced code blocks of one Markdown text, with their not-runnable markers."""
    snippets: List[Snippet] = []
    errors: List[MarkerError] = []
    lines = text.splitlines()
    i = 0
    pending: Optional[Tuple[int, str]] = None          # (line number, reason) of a marker waiting for its block
    while i < len(lines):
        m = FENCE.match(lines[i])
        marker = MARKER.match(lines[i])
        if marker:
            if pending:
                errors.append(MarkerError(path, pending[0], "marker not followed by a code block"))
            pending = (i + 1, marker.group(1).strip())
            i += 1
            continue
        if not m:
            if pending:
                errors.append(MarkerError(path, pending[0], "marker not directly before a code block"))
                pending = None
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1                                # the closing fence
        reason = pending[1] if pending else None
        if pending and lang not in PYTHON_LANGS:
            errors.append(MarkerError(path, pending[0], f"marker on a {lang or 'plain'} block, not a Python one"))
        pending = None
        if lang in PYTHON_LANGS:
            snippets.append(Snippet(path, start + 1, lang, "\n".join(body) + "\n", reason))
    if pending:
        errors.append(MarkerError(path, pending[0], "marker at the end of the file"))
    return snippets, errors


def doc_files() -> List[str]:
    docs = os.path.join(ROOT, "docs")
    names = ["README.md"] + sorted(os.path.join("docs", f) for f in os.listdir(docs) if f.endswith(".md"))
    return names


def collect() -> Tuple[List[Snippet], List[MarkerError]]:
    snippets: List[Snippet] = []
    errors: List[MarkerError] = []
    for name in doc_files():
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            s, e = extract(f.read(), name)
        snippets += s
        errors += e
    return snippets, errors


# An installed wheel is tested from a tree holding copies of tests/, README.md and docs/
# (make test-wheel, cibuildwheel's test-sources): the snippets then run against the wheel.
if not (os.path.isfile(os.path.join(ROOT, "README.md")) and os.path.isdir(os.path.join(ROOT, "docs"))):
    raise RuntimeError(f"README.md and docs/ not found beside tests/ in {ROOT}")

SNIPPETS, MARKER_ERRORS = collect()
RUNNABLE = [s for s in SNIPPETS if s.not_runnable is None]


# ---- the convention (no kernel needed) -------------------------------------------------

@pytest.mark.nokernel
def test_extract_reads_blocks_markers_and_fences() -> None:
    text = "\n".join([
        "# t", "```python", "print(1)", "```", "",
        "<!-- not-runnable: waits forever -->", "```python", "while True: pass", "```",
        "```sh", "ls", "```",
        "<!-- not-runnable: stray -->", "text",
        "````python", "```", "nested fence", "```", "````",
        "<!-- not-runnable: on a shell block -->", "```sh", "x", "```",
        "an indented example of the convention is text:",
        "    <!-- not-runnable: indented -->", "    ```python", "    x", "    ```",
    ])
    snippets, errors = extract(text, "t.md")
    assert [(s.line, s.not_runnable) for s in snippets] == [(2, None), (7, "waits forever"), (15, None)]
    assert snippets[0].code == "print(1)\n"
    assert snippets[2].code == "```\nnested fence\n```\n"
    assert [(e.line, e.what) for e in errors] == [
        (13, "marker not directly before a code block"), (20, "marker on a sh block, not a Python one")]


@pytest.mark.nokernel
def test_markers_are_well_formed() -> None:
    assert not MARKER_ERRORS, "\n".join(f"{e.path}:{e.line}: {e.what}" for e in MARKER_ERRORS)
    unexplained = [s.id for s in SNIPPETS if s.not_runnable == ""]
    assert not unexplained, f"not-runnable markers need a reason: {unexplained}"


@pytest.mark.nokernel
@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_compiles(snippet: Snippet) -> None:
    # not-runnable blocks may be fragments of a coroutine (top-level await)
    compile(snippet.code, snippet.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


@pytest.mark.nokernel
def test_the_docs_have_runnable_snippets() -> None:
    # an extractor that silently found nothing would make every run below vacuous
    assert len(RUNNABLE) >= 3, [s.id for s in SNIPPETS]


# ---- the snippets, on the real kernel ----------------------------------------------------

@pytest.mark.parametrize("snippet", RUNNABLE, ids=[s.id for s in RUNNABLE])
def test_snippet_runs(snippet: Snippet, tmp_path: pathlib.Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(snippet.code)
    try:
        p = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        pytest.fail(f"{snippet.id} still running after {TIMEOUT} s (a fragment? mark it "
                    f"<!-- not-runnable: reason -->)\nstdout:\n{out}\nstderr:\n{err}")
    detail = f"{snippet.id} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    assert p.returncode == 0, detail
    assert "Traceback" not in p.stderr, detail
