# vtsim: the front door. `make run` sets up, builds and runs the demo; `make test` runs
# the whole suite; `make test-arm64` cross-builds for arm64 and runs the suite under qemu.
#
# Dependencies come from Debian packages (scripts/install-deps.sh: idempotent, quiet when
# everything is installed; it needs root or sudo only when something is missing).

NPROC        := $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS    += --no-print-directory
BUILD        ?= build
BUILD_ARM64  ?= build-arm64
CMAKE        ?= cmake
CTEST        ?= ctest
# Per-test limit (seconds) for tests that set none, so that a hung test fails the run
# instead of stalling CI.
CTEST_TIMEOUT ?= 600
CTEST_FLAGS  := --output-on-failure -j$(NPROC) --timeout $(CTEST_TIMEOUT)

.PHONY: all deps deps-arm64 build build-arm64 run test test-arm64 clean

all: build

deps:
	@bash scripts/install-deps.sh

deps-arm64:
	@bash scripts/install-deps.sh --arm64

# clang, so that the fuzz targets are real libFuzzer programs (tests/CMakeLists.txt).
build: deps
	$(CMAKE) -S . -B $(BUILD) -G "Unix Makefiles" -DCMAKE_C_COMPILER=clang
	$(CMAKE) --build $(BUILD) -j$(NPROC)

run: build
	./$(BUILD)/vtsim demo

test: build
	$(CTEST) --test-dir $(BUILD) $(CTEST_FLAGS)

# gcc-aarch64-linux-gnu against the arm64 multiarch packages; ctest runs every test
# program through qemu-aarch64 (cmake/aarch64-linux-gnu.cmake).
build-arm64: deps-arm64
	$(CMAKE) -S . -B $(BUILD_ARM64) -G "Unix Makefiles" \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/aarch64-linux-gnu.cmake
	$(CMAKE) --build $(BUILD_ARM64) -j$(NPROC)

test-arm64: build-arm64
	$(CTEST) --test-dir $(BUILD_ARM64) $(CTEST_FLAGS)

clean:
	rm -rf $(BUILD) $(BUILD_ARM64)
