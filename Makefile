# Sweep — the two commands of the README are `make sweep` and `make test`.
SWIFT       ?= swift
# Release builds with -enable-testing: numeric code is far too slow in debug builds,
# and tests, benchmarks and sweeps then share one build.
BUILD_FLAGS ?= -c release -Xswiftc -enable-testing
BIN         := $(shell pwd)/.build/release

# Debian packages the project needs (the Dockerfile's list must agree).
DEB_PACKAGES := pkg-config libopenblas-dev libzmq3-dev libsqlite3-dev zlib1g-dev dataset-fashion-mnist

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

# Until sweeps land (issue 4): one real training run on Fashion-MNIST.
sweep: build
	$(BIN)/sweep train model=lenet5 train_per_class=500 test_per_class=100 epochs=2 batch_size=50

clean:
	rm -rf .build
