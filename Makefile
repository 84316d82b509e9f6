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

.PHONY: help system-deps build demo test docs check clean

help:
	@echo "make demo   echo server + client over real SCTP (VM if this kernel has none)"
	@echo "make test   the whole suite on a real SCTP kernel (VM if this kernel has none)"
	@echo "make build  build the extension in place (and the csctp command in $(VENV)/bin)"
	@echo "make check  ruff and mypy --strict on the package and the examples (part of make test)"
	@echo "make docs   the guides and the API reference into build/docs (warnings are errors; part of make test)"
	@echo "make clean  remove build products (keeps the venv)"
	@echo "make wheel       sdist + repaired manylinux wheel of this machine into wheelhouse/"
	@echo "make test-wheel  the whole suite against that wheel, installed in a fresh venv ($(WHEEL_VENV))"
	@echo "make lint        actionlint + shellcheck on the wheels workflow, cibuildwheel matrix check"
	@echo "make bench-cost  callgrind instructions per message, receive and send, every API (bench/results/cost.md)"
	@echo "make interop     csctp against other SCTP stacks: lksctp-tools, socat, ncat, Go, osmo-stp (tests/interop/)"
	@echo "make bench-scaling  4 associations served by 1 and 2 workers: C, Python processes, threads (bench/results/scaling.md)"

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

# The `csctp` console script ([project.scripts] in pyproject.toml: csctp.cli:main).
# pip writes it when it installs a wheel; the in-place build is never pip-installed,
# so it is written here, the way pip would, for the README's `csctp check`.
$(VENV)/bin/csctp: pyproject.toml $(VENV)/.python-deps
	printf '%s\n' '#!$(CURDIR)/$(VPY)' '"""The csctp command line (csctp.cli:main) for the in-place build."""' \
	    'import sys' 'from csctp.cli import main' 'sys.exit(main())' > $@
	chmod +x $@

build: system-deps build/.inplace $(VENV)/bin/csctp

demo: build
	$(HARNESS) -- $(VPY) examples/demo.py

# On the host first: lint and types, the docs, the tests that need no SCTP kernel
# (parsers, property tests, packaging, the CLI's argument handling: natively, not
# ten times slower under emulation) and the harness's own stop tests (they boot a
# VM, so they cannot run inside one); then every other test on a real kernel.
# Exit status 5 is "no test selected" (a PYTEST_ARGS naming only one kind).
HOST_TESTS := -m "(nokernel or vmhost) and not long and not interop"
KERNEL_TESTS := -m "not nokernel and not vmhost and not long and not interop"
test: build docs check
	$(PYTEST) -q $(HOST_TESTS) $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(HARNESS) -- $(PYTEST) $(KERNEL_TESTS) $(PYTEST_ARGS) || [ $$? -eq 5 ]

# ruff and mypy --strict (their settings are in pyproject.toml)
check: build
	$(VENV)/bin/ruff check csctp tests examples bench tools docs
	$(VPY) -m mypy

$(VENV)/.docs-deps: requirements/docs.txt $(VENV)/.python-deps
	$(VPY) -m pip install -q -r requirements/docs.txt
	touch $@

# autodoc imports the in-place build; nothing is written outside build/
docs: build $(VENV)/.docs-deps
	PYTHONDONTWRITEBYTECODE=1 $(VPY) -m sphinx -E -W --keep-going -n -q -b html -d build/docs-doctrees docs build/docs

clean:
	rm -rf build csctp/*.c csctp/*.so csctp/*.html

# ---- wheels and packaging ------------------------------------------------------
# `make wheel && make test-wheel` proves the release artefacts here: the sdist,
# a wheel built from it in an isolated environment, auditwheel-repaired (libsctp
# bundled), then installed into a venv outside the checkout and run through the
# whole suite on a real SCTP kernel.  Not part of `make test` (CI runs that only).
# The venv lives under /tmp: the test VM sees the host's /tmp as the lower layer
# of its writable /tmp overlay, so the venv is there, unchanged, inside the VM.
WHEEL_VENV ?= /tmp/csctp-wheel-venv
WHEEL_RUN  ?= /tmp/csctp-wheel-run
WHEELHOUSE ?= wheelhouse
WPY := $(WHEEL_VENV)/bin/python

.PHONY: lint wheel test-wheel

$(VENV)/.lint-deps: requirements/lint.txt requirements/cibuildwheel.txt $(VENV)/.python-deps
	$(VPY) -m pip install -q -r requirements/lint.txt
	touch $@

$(VENV)/.wheel-deps: requirements/wheel.txt $(VENV)/.python-deps
	$(VPY) -m pip install -q -r requirements/wheel.txt
	touch $@

# actionlint runs shellcheck (from the venv) on the workflow's run: scripts
lint: $(VENV)/.lint-deps
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" actionlint -verbose .github/workflows/wheels.yml
	$(VENV)/bin/shellcheck tools/wheel-smoke.sh
	$(VPY) tools/check-packaging.py matrix

wheel: system-deps $(VENV)/.wheel-deps
	rm -rf dist $(WHEELHOUSE)
	# the sdist, then a wheel built from that sdist (python -m build's default), each in a fresh isolated env
	$(VPY) -m build --outdir dist .
	$(VPY) tools/check-packaging.py sdist dist/csctp-*.tar.gz
	$(VENV)/bin/auditwheel show dist/csctp-*.whl
	# --plat auto: the most compatible manylinux policy the wheel satisfies on this glibc
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" auditwheel repair --plat auto --wheel-dir $(WHEELHOUSE) dist/csctp-*.whl
	$(VPY) -m zipfile -l $(WHEELHOUSE)/csctp-*.whl | grep -E '^csctp\.libs/libsctp[^/]*\.so'
	$(VPY) tools/check-packaging.py wheel $(WHEELHOUSE)/csctp-*.whl

test-wheel: system-deps
	@ls $(WHEELHOUSE)/csctp-*.whl >/dev/null 2>&1 || { echo "make test-wheel: no wheel in $(WHEELHOUSE)/: run make wheel first" >&2; exit 1; }
	rm -rf $(WHEEL_VENV) $(WHEEL_RUN)
	mkdir -p $(WHEEL_RUN)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WPY) -m pip install -q --upgrade pip
	# the test tools of requirements/dev.txt without its build tools: the wheel needs no Cython
	grep -viE '^(cython|setuptools|wheel)([^a-z0-9_.-]|$$)' requirements/dev.txt > $(WHEEL_RUN)/test-requirements.txt
	$(WPY) -m pip install -q -r $(WHEEL_RUN)/test-requirements.txt
	$(WPY) -m pip install --no-index --no-deps --only-binary :all: --find-links $(WHEELHOUSE) csctp
	! $(WPY) -c "import Cython" 2>/dev/null || { echo "make test-wheel: Cython is in the wheel venv; it must not be needed" >&2; exit 1; }
	# a directory with tests/ and pyproject.toml but no csctp/: only the installed csctp can be imported
	cp -r tests pyproject.toml README.md docs tools/wheel-smoke.sh $(WHEEL_RUN)/
	if [ -d examples ]; then cp -r examples $(WHEEL_RUN)/; fi
	cd $(WHEEL_RUN) && PATH="$(WHEEL_VENV)/bin:$$PATH" CSCTP_EXPECT_INSTALLED=1 \
	    $(WPY) -m csctp.testing -- sh wheel-smoke.sh $(PYTEST_ARGS) 2>&1 | tee $(WHEEL_RUN)/test-wheel.log
	@# proof the installed wheel was tested: wheel-smoke's line (printed even with pytest -q)
	grep -E '^wheel-smoke: csctp [^ ]+ .*, package $(WHEEL_VENV)/lib/python[0-9.]+/site-packages/csctp/__init__.py$$' $(WHEEL_RUN)/test-wheel.log

# ---- benchmarks (bench/README.md) ---------------------------------------------
# Not part of `make test`: the side-by-side runner (bench/run.py), its C
# baseline and the pytest-benchmark microbenchmarks, all on a real SCTP kernel
# through the harness.  Results land in bench/results/ (an --rwdir of the VM).
.PHONY: bench bench-quick bench-micro bench-deps bench-cost bench-scaling

BENCH_ARGS ?=
BENCH_C := bench/c/bin/sctpbench
# the VM cannot see the host: record its CPU and load average in the results
BENCH_ENV = CSCTP_BENCH_HOST_LOADAVG="$$(cut -d' ' -f1-3 /proc/loadavg)" \
	CSCTP_BENCH_HOST_CPU="$$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
	CSCTP_BENCH_HOST_CPUS="$$(nproc)"

$(VENV)/.bench-deps: requirements/bench.txt $(VENV)/.python-deps
	$(VPY) -m pip install -q -r requirements/bench.txt
	touch $@

# py3-sctp's module is also named `sctp` (pysctp's): it goes to its own directory, which only the
# worker process running it puts on sys.path (bench/worker.py)
PY3SCTP := $(VENV)/py3-sctp
$(PY3SCTP)/sctp.py: $(VENV)/.python-deps
	$(VPY) -m pip install -q --target $(PY3SCTP) py3-sctp
	touch $@

$(BENCH_C): bench/c/sctpbench.c
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -o $@ $< -lsctp

bench-deps: build $(VENV)/.bench-deps $(PY3SCTP)/sctp.py $(BENCH_C)

bench: bench-deps
	@mkdir -p bench/results
	$(BENCH_ENV) $(HARNESS) --rwdir bench/results -- $(VPY) bench/run.py $(BENCH_ARGS)

bench-quick: bench-deps
	@mkdir -p bench/results
	$(BENCH_ENV) $(HARNESS) --rwdir bench/results -- $(VPY) bench/run.py --quick $(BENCH_ARGS)

bench-micro: bench-deps
	$(HARNESS) -- $(PYTEST) bench/test_micro.py --benchmark-only -q $(BENCH_ARGS)

# N associations served by 1 and 2 workers: C processes, Python processes (descriptors handed over),
# Python threads (bench/scaling.py); the host's load average is recorded at the start and the end
SCALING_ARGS ?=
bench-scaling: build $(BENCH_C)
	@mkdir -p bench/results
	$(BENCH_ENV) $(HARNESS) --rwdir bench/results -- $(VPY) bench/scaling.py $(SCALING_ARGS)
	$(VPY) bench/scaling.py --finish bench/results/scaling.json --host-loadavg "$$(cut -d' ' -f1-3 /proc/loadavg)"

# the binding's own cost: callgrind instructions per message, receive and send, every API
# (bench/profile.py); the rows first in COST_ROWS are measured first (empty: every row).
# Every row is minutes under valgrind in the emulated VM: the VM gets 4 hours, not the harness's 1.
COST_COUNTS ?= --small 400 --large 1200
COST_ROWS ?=
bench-cost: bench-deps
	@mkdir -p bench/results
	CSCTP_VM_TIMEOUT=$${CSCTP_VM_TIMEOUT:-14400} $(HARNESS) --rwdir bench/results -- $(VPY) bench/profile.py --direction both --top 0 $(COST_COUNTS) \
		--commit $$(git rev-parse --short HEAD) $(if $(COST_ROWS),--only $(COST_ROWS)) \
		--out bench/results/cost.md $(BENCH_ARGS)

# ---- reliability: long tests, fuzzing, sanitizer build ----------------------------
# `make test` leaves out tests marked `long` and `interop` (its tiers repeat what pyproject addopts leaves out).
.PHONY: test-long fuzz fuzz-asan asan
FUZZ_SECONDS ?= 60
ASAN_BUILD := build/asan
LIBASAN = $(shell gcc -print-file-name=libasan.so)
SANITIZE_ENV = CSCTP_SANITIZED=1 LD_PRELOAD=$(LIBASAN) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-long: build
	$(HARNESS) -- $(PYTEST) -m long $(PYTEST_ARGS)

# parsers need no kernel: runs here (seeded mutation engine; see tools/fuzz.py on atheris)
fuzz: build
	$(VPY) tools/fuzz.py --seconds $(FUZZ_SECONDS)

# the same against the ASan+UBSan build: an out-of-bounds read in a parser aborts with a report
fuzz-asan: system-deps $(ASAN_BUILD)/.built
	$(SANITIZE_ENV) PYTHONPATH=$(ASAN_BUILD) $(VPY) tools/fuzz.py --seconds $(FUZZ_SECONDS)

# the extension built with ASan+UBSan into $(ASAN_BUILD) (the in-place build is untouched), then the
# suite in the VM against it: libasan must be preloaded because the interpreter is not instrumented
$(ASAN_BUILD)/.built: $(SOURCES) $(VENV)/.python-deps
	CSCTP_SANITIZE=address,undefined $(VPY) setup.py -q build_ext -b $(ASAN_BUILD) -t $(ASAN_BUILD)-tmp -j 2
	cp csctp/*.py $(ASAN_BUILD)/csctp/
	touch $@

# --capture=sys: a sanitizer report is written by C to fd 2 just before abort(); pytest's default
# fd-level capture would hold it in a temporary file that the abort then loses
asan: system-deps $(ASAN_BUILD)/.built
	$(HARNESS) -- env $(SANITIZE_ENV) $(PYTEST) --capture=sys -o "pythonpath=$(ASAN_BUILD) ." $(PYTEST_ARGS)

# ---- interoperability: csctp against SCTP implementations from Debian packages ----
# Not part of `make test` (pyproject addopts leave out the `interop` marker): the peers are
# installed only here (install-system-deps.sh --interop), the Go peer is built here, offline
# against Debian's packaged library (GOPATH mode, /usr/share/gocode), because the VM sees the
# checkout read-only; then tests/interop/ runs in the VM.
.PHONY: interop interop-deps
GOECHO := build/interop/goecho

interop-deps:
	@tools/install-system-deps.sh --interop

$(GOECHO): tests/interop/goecho/main.go | interop-deps
	@mkdir -p $(dir $@)
	GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE=$(CURDIR)/build/go-cache \
		go build -o $@ ./tests/interop/goecho

interop: build interop-deps $(GOECHO)
	$(HARNESS) -- $(PYTEST) -m interop tests/interop $(PYTEST_ARGS)
