# Sweep — the two commands of the README are `make sweep` and `make test`.
SWIFT       ?= swift
# Release builds with -enable-testing: numeric code is far too slow in debug builds,
# and tests, benchmarks and sweeps then share one build.
BUILD_FLAGS ?= -c release -Xswiftc -enable-testing
BIN         := $(shell pwd)/.build/release

# Debian packages the project needs (the Dockerfile's list must agree).
DEB_PACKAGES := pkg-config libopenblas-dev libzmq3-dev libsqlite3-dev zlib1g-dev sqlite3 dataset-fashion-mnist

.PHONY: deps build test bench sweep clean

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

test: build
	$(SWIFT) test $(BUILD_FLAGS)

bench: build
	bench/run.sh
	bench/runtime.sh

# The quickstart sweep on local workers (one per core), then its leaderboard.
# Re-running resumes from sweep.db; delete it to start over.
sweep: build
	$(BIN)/sweep run sweeps/quickstart.yaml --db sweep.db

clean:
	rm -rf .build
