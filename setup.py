"""Build csctp's Cython extensions against lksctp-tools.

Every ``csctp/*.pyx`` is one extension module, linked with ``-lsctp`` and
compiled with ``include/`` on the include path.  Before compiling, the build
checks that ``<netinet/sctp.h>`` is there and stops with the package to
install if it is not.
"""

import glob
import os
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

MISSING_HEADER = """
csctp needs the lksctp-tools development files: <netinet/sctp.h> and libsctp.
  Debian / Ubuntu:        apt-get install libsctp-dev
  Fedora / RHEL / Alma:   dnf install lksctp-tools-devel
  Alpine:                 apk add lksctp-tools-dev
"""


class BuildExt(build_ext):
    """build_ext that fails early and clearly when lksctp-tools is missing."""

    def run(self):
        self._check_sctp_header()
        super().run()

    def _check_sctp_header(self):
        from setuptools._distutils.ccompiler import new_compiler
        from setuptools._distutils.sysconfig import customize_compiler
        from setuptools._distutils.errors import CompileError

        cc = new_compiler()
        customize_compiler(cc)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write("#include <netinet/sctp.h>\nint main(void){return SCTP_NODELAY;}\n")
            try:
                cc.compile([src], output_dir=tmp)
            except CompileError:
                sys.stderr.write(MISSING_HEADER)
                raise SystemExit("error: <netinet/sctp.h> not found (install libsctp-dev / lksctp-tools-devel)")


def extensions():
    from Cython.Build import cythonize

    debug = os.environ.get("CSCTP_DEBUG") == "1"
    cflags = ["-O0", "-g"] if debug else ["-O2"]
    ldflags = []
    if os.environ.get("CSCTP_SANITIZE"):
        san = os.environ["CSCTP_SANITIZE"]  # e.g. "address,undefined"
        cflags += [f"-fsanitize={san}", "-fno-omit-frame-pointer", "-g"]
        ldflags += [f"-fsanitize={san}"]
    exts = []
    for pyx in sorted(glob.glob("csctp/*.pyx")):
        name = pyx[:-4].replace("/", ".")
        exts.append(Extension(
            name, [pyx],
            include_dirs=["include"],
            libraries=["sctp"],
            extra_compile_args=cflags,
            extra_link_args=ldflags,
            depends=glob.glob("include/*.h") + glob.glob("csctp/includes/*.pxd"),
        ))
    return cythonize(
        exts,
        language_level=3,
        include_path=[HERE],
        annotate=os.environ.get("CSCTP_ANNOTATE") == "1",
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
            "freethreading_compatible": False,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
