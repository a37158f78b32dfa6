# Top-level wrapper: `make demo` and `make test` work on a fresh Debian 12
# machine as root (they install the Debian packages they need).
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory

.PHONY: all deps build demo test test-plain test-asan test-fuzz fuzz bench bench-full bench-run stage1 install uninstall clean

all: build

build:
	@scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOD_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# The rkt stage1 image alone (every build writes it too): $(BUILD)/podinit-stage1.aci
stage1:
	@scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOD_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target stage1
	@echo "stage1 image: $(BUILD)/podinit-stage1.aci"

# Install under PREFIX (default /usr/local): bin/podctl, bin/podinit, lib/podinit/podinit-stage1.aci,
# share/man/man1/podctl.1 and man8/podinit.8 (made from docs/man/*.md by go-md2man).
PREFIX ?= /usr/local
install:
	@scripts/deps.sh install
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOD_WERROR=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	cmake --install $(BUILD)
	@command -v mandb >/dev/null && mandb -q $(PREFIX)/share/man 2>/dev/null || true
	@echo "installed: $(PREFIX)/bin/podctl $(PREFIX)/bin/podinit $(PREFIX)/lib/podinit/podinit-stage1.aci; man podctl"

uninstall:
	rm -f $(PREFIX)/bin/podctl $(PREFIX)/bin/podinit $(PREFIX)/lib/podinit/podinit-stage1.aci \
	  $(PREFIX)/share/man/man1/podctl.1 $(PREFIX)/share/man/man8/podinit.8
	-rmdir $(PREFIX)/lib/podinit 2>/dev/null

# A real two-app pod from a busybox-static rootfs, then list/status/stop/gc.
demo:
	@scripts/deps.sh demo
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	scripts/demo.sh $(BUILD)

# The whole suite: unit and integration tests, then again under ASan+UBSan, then every fuzzer
# for 10 s on its corpus (a smoke run: about 3 minutes with the clang build; fuzz/README.md).
test: test-plain test-asan test-fuzz

test-plain:
	@scripts/deps.sh test
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOD_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure

test-asan:
	@scripts/deps.sh test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPOD_WERROR=ON -DPOD_ASAN=ON -DPOD_UBSAN=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure

# The libFuzzer targets in fuzz/ (fuzz/README.md), built with clang in $(FUZZ_BUILD), each run
# for FUZZ_SECONDS on a copy of its corpus; the first crash stops it and names the input.
fuzz:
	@scripts/deps.sh fuzz
	@command -v clang >/dev/null || { echo "make fuzz: clang is missing: apt-get install clang (scripts/deps.sh fuzz)" >&2; exit 1; }
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
	  -DPOD_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD)

test-fuzz:
	@$(MAKE) fuzz FUZZ_SECONDS=10

# `make bench` fits in 15 minutes on a 2-CPU VM: the log workloads are 1/16 of their full size
# and the scale run starts 200 one-app pods, not 500 (bench/README.md "Sizes").  `make
# bench-full` runs every script at its own defaults (logs.sh alone takes 17 to 23 minutes then).
# A size already in the environment wins.
BENCH_QUICK = BENCH_LOGS_YES_BYTES=$${BENCH_LOGS_YES_BYTES:-67108864} \
  BENCH_LOGS_SHORT_LINES=$${BENCH_LOGS_SHORT_LINES:-1000000} BENCH_LOGS_KIB_LINES=$${BENCH_LOGS_KIB_LINES:-100000} \
  BENCH_SCALE_PODS=$${BENCH_SCALE_PODS:-200}

bench:
	@$(MAKE) --no-print-directory bench-run BENCH_SIZES="$(BENCH_QUICK)"

bench-full:
	@$(MAKE) --no-print-directory bench-run BENCH_SIZES=

bench-run:
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	@start=$$(date +%s); set -e; for b in run io logs supervise stage1 images net signal scale mem k8s; do \
	  t=$$(date +%s); env $(BENCH_SIZES) bench/$$b.sh $(BUILD); \
	  echo "bench: $$b.sh took $$(( $$(date +%s) - t )) s"; done; \
	echo "bench: all benchmarks took $$(( $$(date +%s) - start )) s"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
