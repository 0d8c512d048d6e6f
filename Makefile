# ustack: the commands a user types. The real build is CMake; this file only
# installs what is missing, configures the build directories and runs things.
#
#   make demo    build, then run the in-memory handshake demo (no root needed)
#   make test    build, then run every test through ctest
#   make asan    the same tests built with AddressSanitizer + UBSan
#   make bench   benchmarks, printed as ratios against Linux measured in the same run
#   make fuzz    build the libFuzzer targets and run each for FUZZ_SECONDS
#   make install PREFIX=/usr/local

BUILD       ?= build
ASAN_BUILD  ?= build-asan
FUZZ_BUILD  ?= build-fuzz
PREFIX      ?= /usr/local
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
WERROR      ?= ON
FUZZ_SECONDS ?= 30
CTEST_ARGS  ?=

CMAKE_FLAGS = -DUSTACK_WERROR=$(WERROR) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

.PHONY: all deps deps-test deps-fuzz build demo test asan bench fuzz install clean

all: build

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test
deps-fuzz:
	@scripts/deps.sh fuzz

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: deps-test $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/ustack demo

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

asan: deps-test
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DUSTACK_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE 'slow|install' $(CTEST_ARGS)

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target bench_all
	$(BUILD)/bench/run-benchmarks

fuzz: deps-fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DUSTACK_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
