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

# ---- benchmarks (bench/README.md) ---------------------------------------------
# Not part of `make test`: the side-by-side runner (bench/run.py), its C
# baseline and the pytest-benchmark microbenchmarks, all on a real SCTP kernel
# through the harness.  Results land in bench/results/ (an --rwdir of the VM).
.PHONY: bench bench-quick bench-micro bench-deps

BENCH_ARGS ?=
BENCH_C := bench/c/bin/sctpbench
# the VM cannot see the host: record its CPU and load average in the results
BENCH_ENV = CSCTP_BENCH_HOST_LOADAVG="$$(cut -d' ' -f1-3 /proc/loadavg)" \
	CSCTP_BENCH_HOST_CPU="$$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

$(VENV)/.bench-deps: requirements/bench.txt $(VENV)/.python-deps
	$(VPY) -m pip install -q -r requirements/bench.txt
	touch $@

$(BENCH_C): bench/c/sctpbench.c
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -o $@ $< -lsctp

bench-deps: build $(VENV)/.bench-deps $(BENCH_C)

bench: bench-deps
	@mkdir -p bench/results
	$(BENCH_ENV) $(HARNESS) --rwdir bench/results -- $(VPY) bench/run.py $(BENCH_ARGS)

bench-quick: bench-deps
	@mkdir -p bench/results
	$(BENCH_ENV) $(HARNESS) --rwdir bench/results -- $(VPY) bench/run.py --quick $(BENCH_ARGS)

bench-micro: bench-deps
	$(HARNESS) -- $(PYTEST) bench/test_micro.py --benchmark-only -q $(BENCH_ARGS)
