# The two commands of the README:
#   make run    install missing Debian packages, build, start the daemon with the default config
#   make test   the same set-up, then the whole test suite through ctest
# Both skip work already done: packages are only installed when missing, cmake only
# configures a fresh build directory, and ninja rebuilds only what changed.

PRESET ?= dev
BUILD := build/$(PRESET)
ARGS ?=
CTEST_ARGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test bench asan golden format clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@test -f $(BUILD)/build.ninja || cmake --preset $(PRESET)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/exporter/rogue-hunter daemon $(ARGS)

test: build
	ctest --preset $(PRESET) -j $(JOBS) $(CTEST_ARGS)

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) --no-print-directory test PRESET=asan CTEST_ARGS="-L unit $(CTEST_ARGS)"

# Rewrites tests/golden/metrics.prom from the daemon running on the fixture tree.
golden: build
	RH_UPDATE_GOLDEN=1 ctest --preset $(PRESET) -R Golden --output-on-failure

# Benchmarks of docs/benchmarks.md, built optimised.
bench:
	@$(MAKE) --no-print-directory build PRESET=release
	./bench/run.sh build/release

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
