# csctp developer entry points.  `make demo` and `make test` are the two
# commands the README promises: each installs what is missing (system
# packages, the venv, the build) and then runs on a real SCTP kernel: this
# one if it has SCTP, a throw-away VM otherwise (csctp/testing.py).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
HARNESS := $(VPY) -m csctp.testing
PYTEST_ARGS ?=
# the VM sees the checkout read-only: no cache, no bytecode
PYTEST := $(VPY) -m pytest -p no:cacheprovider

SOURCES := setup.py pyproject.toml $(wildcard csctp/*.pyx csctp/*.pxd csctp/includes/*.pxd include/*.h)

.PHONY: help system-deps build demo test clean

help:
	@echo "make demo   echo server + client over real SCTP (VM if this kernel has none)"
	@echo "make test   the whole suite on a real SCTP kernel (VM if this kernel has none)"
	@echo "make build  build the extension in place"
	@echo "make clean  remove build products (keeps the venv)"

# cheap when nothing is missing (dpkg-query + one socket() call), so it always runs:
# a new machine or a new kernel is noticed
system-deps:
	@tools/install-system-deps.sh

$(VENV)/.python-deps: requirements/dev.txt | system-deps
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements/dev.txt
	# the checkout itself is importable from the venv (in-place build)
	echo "$(CURDIR)" > "$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/csctp-checkout.pth"
	touch $@

build/.inplace: $(SOURCES) $(VENV)/.python-deps
	$(VPY) setup.py -q build_ext --inplace -j 2
	@mkdir -p build && touch $@

build: system-deps build/.inplace

demo: build
	$(HARNESS) -- $(VPY) examples/demo.py

test: build
	$(HARNESS) -- $(PYTEST) $(PYTEST_ARGS)

clean:
	rm -rf build csctp/*.c csctp/*.so csctp/*.html

# ---- reliability (issue 6): long tests, fuzzing, sanitizer build ----------------
# `make test` leaves out tests marked `long` (pyproject addopts: -m "not long").
.PHONY: test-long fuzz asan
FUZZ_SECONDS ?= 60
ASAN_BUILD := build/asan
LIBASAN = $(shell gcc -print-file-name=libasan.so)

test-long: build
	$(HARNESS) -- $(PYTEST) -m long $(PYTEST_ARGS)

# parsers need no kernel: runs here (seeded mutation engine; see tools/fuzz.py on atheris)
fuzz: build
	$(VPY) tools/fuzz.py --seconds $(FUZZ_SECONDS)

# the extension built with ASan+UBSan into $(ASAN_BUILD) (the in-place build is untouched), then the
# suite in the VM against it: libasan must be preloaded because the interpreter is not instrumented
$(ASAN_BUILD)/.built: $(SOURCES) $(VENV)/.python-deps
	CSCTP_SANITIZE=address,undefined $(VPY) setup.py -q build_ext -b $(ASAN_BUILD) -t $(ASAN_BUILD)-tmp -j 2
	cp csctp/*.py $(ASAN_BUILD)/csctp/
	touch $@

asan: system-deps $(ASAN_BUILD)/.built
	$(HARNESS) -- env LD_PRELOAD=$(LIBASAN) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(PYTEST) -o "pythonpath=$(ASAN_BUILD) ." $(PYTEST_ARGS)
