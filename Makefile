# The two commands of the README:
#   make run    install the missing Debian packages of deploy/debian-packages.txt's [build]
#               section, build the release preset, start the daemon with the default config
#   make test   the same plus the [test] section, build the dev preset, run the whole test
#               suite through ctest
# Both skip work already done: packages are only installed when missing, cmake only
# configures a fresh build directory, and ninja rebuilds only what changed.

PRESET ?= dev
BUILD := build/$(PRESET)
ARGS ?=
CTEST_ARGS ?=
JOBS ?= $(shell nproc)
# The package sections a preset needs: the release build (make run, the image) needs only
# [build]; the presets with tests add [test]; the benchmarks add [bench].
SECTIONS_release := build
SECTIONS_bench := build bench
SECTIONS := $(or $(SECTIONS_$(PRESET)),build test)

# The test suite's Node.js projects (package.json + package-lock.json each), installed by
# `make test` with `npm ci`.
NODE_PROJECTS := tests/fleet/schemas tests/otel/collector

.PHONY: all deps node-deps configure build run test bench asan golden format clean

all: build

deps:
	@./scripts/install-deps.sh $(SECTIONS)

configure: deps
	@test -f $(BUILD)/build.ninja || cmake --preset $(PRESET)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run:
	@$(MAKE) --no-print-directory build PRESET=release
	build/release/exporter/rogue-hunter daemon $(ARGS)

node-deps:
	@$(if $(strip $(NODE_PROJECTS)),./scripts/install-node-deps.sh $(NODE_PROJECTS),true)

# ctest does not show why a test was skipped; print-skipped.sh does, after the summary.
test: build node-deps
	@status=0; ctest --preset $(PRESET) -j $(JOBS) $(CTEST_ARGS) || status=$$?; \
	  ./scripts/print-skipped.sh $(BUILD); exit $$status

# The unit and integration suites under AddressSanitizer and UndefinedBehaviorSanitizer
# (docs/fuzzing.md). The docker label is left out: it tests the image, whose binaries are the
# release build's.
asan:
	@$(MAKE) --no-print-directory test PRESET=asan CTEST_ARGS="-LE docker $(CTEST_ARGS)"

# Rewrites tests/golden/metrics.prom from the daemon running on the fixture tree.
golden: build
	RH_UPDATE_GOLDEN=1 ctest --preset $(PRESET) -R Golden --output-on-failure

# Benchmarks of docs/benchmarks.md, built optimised.
bench:
	@$(MAKE) --no-print-directory build PRESET=bench
	./bench/run.sh build/bench

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
