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

.PHONY: all deps deps-arm64 build build-arm64 run test test-arm64 clean fuzz fuzz-afl

# A fuzzing campaign on one target of tests/fuzz/: `make fuzz TARGET=vmcs_entry TIME=600`
# runs its libFuzzer build (ASan+UBSan) for TIME seconds. New inputs go to a scratch
# corpus under $(BUILD)/fuzz/TARGET (the checked-in seeds are read, never written),
# crashing inputs to $(BUILD)/fuzz/TARGET/artifacts; `vtsim fuzz-replay TARGET FILE`
# replays one. `make fuzz-afl` does the same with AFL++ (afl-clang-fast, afl-fuzz).
TARGET       ?= vmcs_entry
# The names issue #9 gives the targets (tests/fuzz/README.md) work too.
FUZZ_ALIAS_vmx_insn_stream := vmx
FUZZ_ALIAS_seamcall_seq    := seamcall
FUZZ_ALIAS_guest_code      := vmx_guest
FUZZ_ALIAS_image_loader    := loader
override TARGET := $(or $(FUZZ_ALIAS_$(TARGET)),$(TARGET))
TIME         ?= 60
BUILD_AFL    ?= build-afl
FUZZ_SEEDS   := tests/fuzz/corpus/$(TARGET)
FUZZ_ENV     := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp

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
	rm -rf $(BUILD) $(BUILD_ARM64) $(BUILD_AFL)

fuzz: build
	@test -f tests/fuzz/fuzz_$(TARGET).c || { echo "no fuzz target '$(TARGET)':" \
		$$(ls tests/fuzz | sed -n 's/^fuzz_\(.*\)\.c$$/\1/p'); exit 2; }
	@mkdir -p $(BUILD)/fuzz/$(TARGET)/corpus $(BUILD)/fuzz/$(TARGET)/artifacts
	$(FUZZ_ENV) $(BUILD)/tests/fuzz_$(TARGET) -max_total_time=$(TIME) -timeout=300 \
		-rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/$(TARGET)/artifacts/ \
		$(BUILD)/fuzz/$(TARGET)/corpus $(FUZZ_SEEDS)

# The same targets built by afl-clang-fast (its libFuzzer-compatible driver), run by
# afl-fuzz from the seeds; findings in $(BUILD_AFL)/fuzz/TARGET/default/crashes.
# afl-fuzz refuses sanitizer options that symbolize (symbolize=0 is added).
fuzz-afl: deps
	@test -f tests/fuzz/fuzz_$(TARGET).c || { echo "no fuzz target '$(TARGET)'"; exit 2; }
	$(CMAKE) -S . -B $(BUILD_AFL) -G "Unix Makefiles" -DCMAKE_C_COMPILER=afl-clang-fast
	$(CMAKE) --build $(BUILD_AFL) -j$(NPROC) --target fuzz_$(TARGET)
	@mkdir -p $(BUILD_AFL)/fuzz/$(TARGET)
	$(FUZZ_ENV):symbolize=0 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
		afl-fuzz -V $(TIME) -t 60000 -i $(FUZZ_SEEDS) -o $(BUILD_AFL)/fuzz/$(TARGET) \
		-- $(BUILD_AFL)/tests/fuzz_$(TARGET)
