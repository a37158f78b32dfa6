# Top-level wrapper: `make demo` and `make test` work on a fresh Debian 12
# machine as root (they install the Debian packages they need).
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory

.PHONY: all deps build demo test test-plain test-asan bench stage1 clean

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

# A real two-app pod from a busybox-static rootfs, then list/status/stop/gc.
demo:
	@scripts/deps.sh demo
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	scripts/demo.sh $(BUILD)

# The whole suite: unit and integration tests, then again under ASan+UBSan.
test: test-plain test-asan

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

bench:
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	bench/run.sh $(BUILD)
	bench/io.sh $(BUILD)
	bench/logs.sh $(BUILD)
	bench/supervise.sh $(BUILD)
	bench/stage1.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
