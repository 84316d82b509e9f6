"""csctp's constants against the installed SCTP headers, and the generated files against their list.

All constants come from one list, ``csctp/_constants_table.py``;
``tools/gen-constants.py`` writes ``csctp/constants.py``,
``include/csctp_constants.h`` and the notification tables of ``_notify``
from it.  These tests (``nokernel``: they compile, they open no socket)
check that

* the generated files are what the list gives (nobody edited them by hand,
  nobody forgot to regenerate);
* every value in the list is the one the installed ``<netinet/sctp.h>`` /
  ``<linux/sctp.h>`` give it, compiled with gcc; a name those headers lack
  must be listed in ``ABSENT`` below with the reason;
* the C side (``csctp.h`` on top of the installed headers) and the Python
  side (``csctp.constants``, the enums, ``_notify``'s tables) see the same
  values.
"""

import importlib.util
import os
import re
import shutil
import subprocess

import pytest

import csctp
from csctp import _constants_table as T
from csctp import _notify as N
from csctp import constants as C

pytestmark = pytest.mark.nokernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADERS = ("/usr/include/netinet/sctp.h", "/usr/include/linux/sctp.h")
INSTALL_HINT = ("install the lksctp-tools development headers and gcc: tools/install-system-deps.sh "
                "(apt-get install libsctp-dev gcc linux-libc-dev)")

_NOT_UAPI = "not in any Linux uapi header (an RFC value the kernel keeps internal or never sends)"
_AFTER_6_1 = "added to linux/sctp.h after 6.1 (the fair-capacity and WFQ stream schedulers)"
# Names in the list that the installed headers may lack, and why.  Any other
# missing name fails the test.
ABSENT = {
    "SCTP_SS_FC": _AFTER_6_1,
    "SCTP_SS_WFQ": _AFTER_6_1,
    **{c.name: _NOT_UAPI for c in T.all_consts() if c.c == "none"},
}


def _gen_tool():
    spec = importlib.util.spec_from_file_location("_gen_constants", os.path.join(ROOT, "tools", "gen-constants.py"))
    assert spec is not None and spec.loader is not None, "tools/gen-constants.py is missing"
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _compile_and_run(tmp_path, name, body, cflags=()):
    """Compile a C program *body* with gcc and return its output lines; CalledProcessError on failure."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail(f"gcc not found: {INSTALL_HINT}")
    src, exe = tmp_path / f"{name}.c", tmp_path / name
    src.write_text(body)
    # LC_ALL=C: plain quotes in the diagnostics this module reads
    r = subprocess.run([gcc, "-std=gnu11", "-Wall", *cflags, "-o", str(exe), str(src)],
                       capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    if r.returncode != 0:
        raise subprocess.CalledProcessError(r.returncode, "gcc", r.stdout, r.stderr)
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()


SYSTEM_INCLUDES = """\
#include <stdio.h>
#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <linux/sctp.h>
"""


def _probe_installed(tmp_path):
    """{name: (form, value)} for every listed constant the installed headers define, and {field: offset}.

    A name is tried first as a macro (``#ifdef``), else as an enum member; one
    the headers lack makes gcc report it undeclared, and the program is
    compiled again without it.
    """
    for h in HEADERS:
        if not os.path.exists(h):
            pytest.fail(f"{h} not found: {INSTALL_HINT}")
    probes = {c.name: c.probe for c in T.all_consts() if c.probe}
    names = [c.name for c in T.all_consts()]
    fields = [k.legacy_field for k in T.KINDS]
    missing, missing_fields = set(), set()
    for _attempt in range(4):
        lines = [SYSTEM_INCLUDES, "int main(void) {"]
        for n in names:
            if n in missing:
                continue
            if n in probes:
                lines.append(f'    printf("{n} layout %lld\\n", (long long)({probes[n]}));')
                continue
            lines += [f"#ifdef {n}", f'    printf("{n} macro %lld\\n", (long long)({n}));', "#else",
                      f'    printf("{n} enum %lld\\n", (long long)({n}));', "#endif"]
        for f in fields:
            if f not in missing_fields:
                lines.append(f'    printf("{f} field %zu\\n", offsetof(struct sctp_event_subscribe, {f}));')
        lines += ["    return 0;", "}", ""]
        try:
            out = _compile_and_run(tmp_path, "probe", "\n".join(lines))
        except subprocess.CalledProcessError as e:
            undeclared = set(re.findall(r"['\u2018](\w+)['\u2019] undeclared", e.stderr)) & set(names)
            # a structure member older headers lack: the layout value that reads it
            undeclared |= {n for n, expr in probes.items()
                           if any(f" {m})" in expr for m in re.findall(r"has no member named ['\u2018](\w+)['\u2019]",
                                                                     e.stderr))}
            no_member = set(re.findall(r"has no member named ['\u2018](\w+)['\u2019]", e.stderr)) & set(fields)
            if not undeclared and not no_member:
                pytest.fail(f"compiling the header probe failed:\n{e.stderr}")
            missing |= undeclared
            missing_fields |= no_member
            continue
        found, offsets = {}, {}
        for line in out:
            n, form, v = line.split()
            if form == "field":
                offsets[n] = int(v)
            else:
                found[n] = (form, int(v))
        return found, missing, offsets, missing_fields
    pytest.fail("the header probe kept failing to compile")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    return _probe_installed(tmp_path_factory.mktemp("probe"))


def test_generated_files_are_up_to_date():
    stale = _gen_tool().stale()
    assert stale == [], f"{stale} differ from csctp/_constants_table.py: run python tools/gen-constants.py"


def test_generated_files_say_they_are_generated():
    tool = _gen_tool()
    for rel in tool.render_all():
        with open(os.path.join(ROOT, rel)) as f:
            assert tool.BANNER in f.read(), rel


def test_every_value_matches_the_installed_headers(installed):
    found, missing, _, _ = installed
    table = {c.name: c for c in T.all_consts()}
    unexplained = sorted(n for n in missing if n not in ABSENT)
    assert not unexplained, f"the installed headers lack {unexplained}: add them to ABSENT with the reason"
    wrong = {n: (table[n].value, v) for n, (_, v) in found.items() if v != table[n].value}
    assert not wrong, f"csctp value != installed header value: {wrong}"
    # the rest is there with the right number
    assert set(found) | missing == set(table)
    assert len(found) > 150, len(found)
    # the parser's structure sizes and offsets were among them
    assert all(found[c.name][0] == "layout" for c in T.all_consts() if c.c == "layout")


def test_names_guarded_with_ifndef_are_macros_in_the_installed_headers(installed):
    # an #ifndef guard cannot see an enum member: such a name must be used
    # from C through its CSCTP_ alias, which the table's "enum" form gives
    found, _, _, _ = installed
    not_macros = sorted(c.name for c in T.all_consts() if c.c == "macro" and c.name in found
                        and found[c.name][0] != "macro")
    assert not not_macros, f"listed as macros but enum members in the installed headers: {not_macros}"


def test_absent_names_are_reported_not_hidden(installed):
    # the names the installed headers lack are exactly reported as such
    found, missing, _, _ = installed
    assert missing <= set(ABSENT)
    for n in missing:
        assert n not in found
    # the RFC-only values really are in no header: if one appears, it must be checked like the rest
    assert {n for n, why in ABSENT.items() if why == _NOT_UAPI} <= missing


def test_legacy_subscription_bytes_follow_sn_type_order(installed):
    _, _, offsets, missing_fields = installed
    for i, k in enumerate(T.KINDS):
        if k.legacy_field in missing_fields:
            continue
        assert offsets[k.legacy_field] == i, k
    assert len(offsets) >= 10  # sctp_data_io_event .. sctp_sender_dry_event are in every header


def test_c_side_sees_the_table_values(tmp_path):
    # csctp.h on top of the installed headers: every C name (guarded macro
    # or CSCTP_ alias) has the table's value
    lines = ['#include "csctp.h"', "#include <stdio.h>", "int main(void) {"]
    for c in T.all_consts():
        n = T.c_name(c)
        lines.append(f'    printf("{n} %lld\\n", (long long)({n}));')
    lines += ["    return 0;", "}", ""]
    try:
        out = _compile_and_run(tmp_path, "cside", "\n".join(lines), ["-I", os.path.join(ROOT, "include")])
    except subprocess.CalledProcessError as e:
        pytest.fail(f"compiling against include/csctp.h failed:\n{e.stderr}")
    got = dict((n, int(v)) for n, v in (line.split() for line in out))
    want = {T.c_name(c): c.value for c in T.all_consts()}
    assert got == want


def test_python_side_has_every_listed_name_with_its_value():
    for c in T.all_consts():
        if c.python:
            assert getattr(C, c.name) == c.value, c.name
            assert type(getattr(C, c.name)) is not bool
            assert c.name in C.__all__
            assert getattr(csctp, c.name) == c.value, c.name
        else:
            assert not hasattr(C, c.name), c.name
    assert len(C.__all__) == len(set(C.__all__))


def test_enum_members_are_the_sctp_constants():
    enums = {g.enum: g for g in T.GROUPS if g.enum}
    assert set(enums) == {e.__name__ for e in C.ENUMS}
    for e in C.ENUMS:
        g = enums[e.__name__]
        assert [(m.name, int(m)) for m in e] == [(c.name[len(g.prefix):], c.value) for c in g.consts]
        for c in g.consts:
            assert getattr(C, c.name) is e[c.name[len(g.prefix):]]
    assert C.SCTP_COMM_UP == 0 and isinstance(C.SCTP_COMM_UP, int) and C.SCTP_COMM_UP.name == "COMM_UP"
    assert C.NotificationType(0x8001) is C.SCTP_ASSOC_CHANGE


def test_notification_tables_follow_the_list():
    assert list(N.KINDS) == [k.kind for k in T.KINDS]
    for k in T.KINDS:
        t = N.KINDS[k.kind]
        assert t is C.NotificationType[k.type]
        assert N.KIND_NAMES[t] == k.kind
        assert N.EVENT_CLASSES[t].__name__ == k.event_class
        assert getattr(csctp, k.event_class, N.EVENT_CLASSES[t]) is N.EVENT_CLASSES[t]
    assert set(N.EVENT_CLASSES) == set(C.NotificationType)


def test_check_mode_names_a_stale_file(tmp_path, monkeypatch):
    # the generator's --check finds a hand edit: copy the tree's inputs, edit
    # one generated file, ask
    tool = _gen_tool()
    for rel in ["csctp/_constants_table.py", *tool.render_all()]:
        dst = tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(ROOT, rel), dst)
    with open(tmp_path / "csctp/constants.py", "a") as f:
        f.write("SCTP_HAND_EDIT = 1\n")
    monkeypatch.setattr(tool, "ROOT", str(tmp_path))
    assert tool.stale() == ["csctp/constants.py"]
