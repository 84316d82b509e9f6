"""Sphinx configuration: the guides (docs/*.md, through MyST) and the API reference (autodoc).

``make docs`` builds it into ``build/docs`` with warnings as errors.  autodoc
imports the in-place build of csctp (the checkout's root is put first on
``sys.path``); importing csctp needs no SCTP in the kernel.
"""

import os
import re
import sys
from typing import Any, List, Optional, Tuple

# the checkout is read-only for the build: no __pycache__ next to the sources
sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import csctp  # noqa: E402

project = "csctp"
author = "csctp contributors"
copyright = "csctp contributors"
release = version = csctp.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# README.md is the guides' index when browsing the repository; index.md includes it
exclude_patterns = ["README.md"]

myst_heading_anchors = 3

autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Cython puts the signature on the docstring's first line (embedsignature)
autodoc_docstring_signature = True

html_theme = "furo"
html_title = f"csctp {release}"

# ---- cross-references ----------------------------------------------------------------
# -n (nitpicky): every reference must resolve.  Without network there is no
# intersphinx, so the standard library's names cannot be linked: they are
# accepted as plain text.  csctp's own names must all resolve.
nitpicky = True
nitpick_ignore_regex = [
    # the compiled modules are implementation; their public names are documented
    (r"py:mod", r"csctp\._\w+"),
    (r"py:(class|exc|obj|data|func|meth)",
     r"(int|float|str|bytes|bytearray|memoryview|bool|object|type|None|list|dict|tuple|set|frozenset"
     r"|Ellipsis|BaseException|Exception|OSError|TimeoutError|EOFError|BufferError|RuntimeError|ValueError"
     r"|TypeError|BlockingIOError|ConnectionResetError|NotImplementedError|KeyError|IndexError)"),
    (r"py:(class|exc|obj|data|func|meth|mod)",
     r"(typing|typing_extensions|collections|collections\.abc|enum|asyncio|asyncio\.\w+|_asyncio|socket|selectors"
     r"|threading|types|os|numpy|argparse|subprocess|concurrent\.futures)(\.\w+)*"),
    # type variables of csctp's generic signatures (a protocol factory's class, ...)
    (r"py:(class|obj)", r"csctp\.\w+\._[A-Z]"),
    # type aliases of the stubs, visible to type checkers only (TYPE_CHECKING imports)
    (r"py:(class|obj|data)", r"(csctp\.\w+\.)?(Buffer|Buffers|PerMessage|SocketLike)"),
    (r"py:(class|obj)", r"(Any|Optional|Union|List|Tuple|Dict|Sequence|Iterator|Iterable|AsyncIterator"
                        r"|Callable|Awaitable|Coroutine|Literal|NamedTuple|Mapping|Generator|ndarray)"),
]

# Objects are documented under their public names (csctp.Association, csctp.Message, ...),
# while annotations and docstrings name them where they are defined
# (csctp.association.Association, csctp._message.Message).  A reference that does
# not resolve is tried again under the public name.
# csctp._notify's names that the package exports under another name
NOTIFY_ALIASES = {"KINDS": "NOTIFICATION_KINDS", "parse": "parse_notification"}


def _public_name(target: str) -> Optional[str]:
    parts = target.split(".")
    if parts[0] == "csctp" and len(parts) >= 3:
        notify = parts[1] == "_notify"
        parts = ["csctp"] + parts[2:]          # csctp.<module>.Name -> csctp.Name
    elif parts[0] != "csctp":
        notify = len(parts) == 1               # a bare name: from _notify's own docstrings
        parts = ["csctp"] + parts
    else:
        return None
    if notify:
        parts[1] = NOTIFY_ALIASES.get(parts[1], parts[1])
    return ".".join(parts)


def _resolve_public(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    public = _public_name(target)
    if public is None or public == target:
        return None
    domain = env.get_domain("py")
    node = node.deepcopy()
    node["refspecific"] = False
    # the enums are documented on the constants page: AssocState -> csctp.constants.AssocState
    for candidate in (public, "csctp.constants." + public.rpartition(".")[2]):
        node["reftarget"] = candidate
        found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode)
        if found is not None:
            return found
    return None


def _public_bases(app: Any, name: str, obj: object, options: Any, bases: List[type]) -> None:
    """Hide private base classes (``_Receiver`` ...): they are implementation, not API."""
    bases[:] = [b for b in bases if not b.__name__.startswith("_")]


def _compiled(obj: object) -> bool:
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    return str(getattr(module, "__file__", "")).endswith(".so")


def _tidy_signature(app: Any, what: str, name: str, obj: object, options: Any, signature: Optional[str],
                    return_annotation: Optional[str]) -> Optional[Tuple[str, Optional[str]]]:
    """Cython's embedded signatures name ``self`` and C types (``bint flag``): show Python's view."""
    if not signature or not _compiled(obj):
        return None
    inner = signature[1:-1]
    params = [p.strip() for p in inner.split(",")] if inner.strip() else []
    if params and params[0] == "self":
        params = params[1:]
    params = [re.sub(r"^(?:bint|bool|int|double|float|object|str|bytes|Py_ssize_t|size_t|unsigned int|long)\s+"
                     r"(?=\*{0,2}\w)", "", p) for p in params]
    if params and params[-1] == "*":      # Cython puts a bare * last for keyword-only arguments of __init__
        params = params[:-1]
    return "(" + ", ".join(params) + ")", return_annotation


def _skip_foreign(app: Any, what: str, name: str, obj: object, skip: bool, options: Any) -> Optional[bool]:
    """With ``:imported-members:`` document what the module adds: not the typing names it
    imports, nor what the front page documents already (``csctp.UnsupportedOption``)."""
    if what != "module":
        return None
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and module.split(".")[0] != "csctp":
        return True
    # the enums are documented on the constants page, although the package exports them too
    if name in csctp.__all__ and getattr(csctp, name, None) is obj and module != "csctp.constants":
        return True
    return None


def setup(app: Any) -> None:
    app.connect("autodoc-skip-member", _skip_foreign)
    app.connect("missing-reference", _resolve_public)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("autodoc-process-signature", _tidy_signature)
