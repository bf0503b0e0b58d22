# Colonio for Swift. `make demo` and `make test` work on a fresh Debian machine.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
# The core and the simulator compiled with -O in debug builds too (Package.swift says why); exported, so
# that every swift command below, and the scripts they start, build the same way and nothing rebuilds.
export COLONIO_OPTIMIZED_CORE := 1

.PHONY: setup build lib install bindings-build abi-test python-test go-test multilang-test bindings-test bindings-bench postgres-test check test docs doc-snippets wasm wasm-test js-check demo bench bench-smoke fuzz fuzz-smoke interop-test nat-test nat-bench nat-lab-check browser-check browser-node-check browser-node-test clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

wasm: setup
	scripts/build-wasm.sh Web/colonio.wasm

wasm-test: wasm js-check
	python3 scripts/check-browser-abi.py
	node Web/smoke-test.mjs Web/colonio.wasm
	node Web/browser-node.test.mjs Web/colonio.wasm

# The JavaScript module's API (no wasm needed): Debian's tsc compiles Web/types-check.ts, a sample that
# uses every public call, against colonio.d.ts through package.json; api-surface.test.mjs checks that
# colonio.js exports exactly what colonio.d.ts declares and that package.json matches the Swift version.
js-check: setup
	tsc --noEmit --strict --target es2022 --module node16 --moduleResolution node16 --lib es2022,dom Web/types-check.ts
	node Web/api-surface.test.mjs

# The CPU-bound simulation suites (test identifiers that match this pattern).
SIMULATIONS := Simulation|SpreadBenchmarkTests|DegenerateLayoutSpreadTests

# The fast tier: the core (with the node controller's rule tests on a manual clock), the seed, the small
# simulations and the node over in-memory links, in parallel; no WebRTC, NAT lab or browser.
check: setup doc-snippets
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS) \
		--filter 'ColonioCoreTests|ColonioSeedTests|ColonioSimulatorTests|ColonioTests\.(InMemoryLinkTests|LinkRelayTests|NodeClockTests|NodeErrorMessageTests|SeedCommandTests|SeedListTests)' \
		--skip 'GeoInstanceSimulationTests|KVSSimulationTests|RingSimulationTests|SimulationScenarioTests|DegenerateLayoutSimulationTests|DegenerateLayoutSpreadTests|NodeFailureSimulationTests'

# Everything. The suites on real networks run one after another (they time real links, and the
# simulations would hold the cooperative thread pool, 2 threads on a 2-core machine); the CPU-bound
# simulations then run in parallel on every core.
test: setup doc-snippets wasm-test
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build --no-parallel --skip '$(SIMULATIONS)|$(POSTGRES_SUITES)|$(INTEROP_SUITES)' $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build --filter '$(SIMULATIONS)' $(SWIFT_BUILD_FLAGS)
	$(MAKE) --no-print-directory postgres-test
	"$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))/colonio" demo
	$(MAKE) --no-print-directory bench-smoke
	$(MAKE) --no-print-directory docs
	$(MAKE) --no-print-directory interop-test
	$(MAKE) --no-print-directory nat-test
	$(MAKE) --no-print-directory browser-node-test
	$(MAKE) --no-print-directory bindings-test
	$(MAKE) --no-print-directory fuzz-smoke

# ---- The C ABI and the bindings (docs/bindings.md)

# Where `make install` puts libcolonio.so, colonio.h and colonio.pc; LIB_CONFIGURATION is the build it copies.
PREFIX ?= /usr/local
LIB_CONFIGURATION ?= release
# The debug build's folder, asked of SwiftPM once per make run (the first use sets it for the rest).
BIN_PATH = $(eval BIN_PATH := $(shell $(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS)))$(BIN_PATH)

# libcolonio.so: SwiftPM names the product libColonioC.so (the product name `colonio` is the command
# line's), so a link gives it its C name next to it.
lib: setup
	$(SWIFT) build --product ColonioC $(SWIFT_BUILD_FLAGS)
	ln -sf libColonioC.so "$(BIN_PATH)/libcolonio.so"

install: setup
	$(SWIFT) build -c $(LIB_CONFIGURATION) --product ColonioC
	@bin="$$($(SWIFT) build -c $(LIB_CONFIGURATION) --show-bin-path)"; set -e; \
	install -d "$(DESTDIR)$(PREFIX)/lib/pkgconfig" "$(DESTDIR)$(PREFIX)/include"; \
	install -m 755 "$$bin/libColonioC.so" "$(DESTDIR)$(PREFIX)/lib/libcolonio.so"; \
	install -m 644 Sources/CColonio/include/colonio.h "$(DESTDIR)$(PREFIX)/include/colonio.h"; \
	sed -e 's|@PREFIX@|$(PREFIX)|g' bindings/c/colonio.pc.in > "$(DESTDIR)$(PREFIX)/lib/pkgconfig/colonio.pc"; \
	echo "installed libcolonio.so, colonio.h and colonio.pc under $(DESTDIR)$(PREFIX)"

# What the bindings' tests run: the library, the command line (seed and Swift node) and the Go test node.
GO_ENV = CGO_CFLAGS="-I$(CURDIR)/Sources/CColonio/include" \
	CGO_LDFLAGS="-L$(BIN_PATH) -Wl,-rpath,$(BIN_PATH)" GOPROXY=off GOCACHE="$(CURDIR)/.build/go-cache"
bindings-build: lib
	$(SWIFT) build --product colonio $(SWIFT_BUILD_FLAGS)
	cd bindings/go && $(GO_ENV) go build -o "$(CURDIR)/.build/colonio-go-node" ./cmd/colonio-go-node

# The C ABI end to end from a C program built with gcc against colonio.h, bad input included (~1 s).
abi-test: bindings-build
	python3 bindings/c/run-abi-test.py --colonio "$(BIN_PATH)/colonio" --lib-dir "$(BIN_PATH)"

# The Python package's pytest suite against a seed on loopback (the package from its folder, not installed).
python-test: bindings-build
	COLONIO_LIBRARY="$(BIN_PATH)/libcolonio.so" COLONIO_CLI="$(BIN_PATH)/colonio" PYTHONPATH=bindings/python \
		python3 -m pytest -q -p no:cacheprovider bindings/python/tests

# The Go package's tests (cgo against colonio.h and libcolonio.so; no module downloads).
go-test: bindings-build
	cd bindings/go && $(GO_ENV) COLONIO_CLI="$(BIN_PATH)/colonio" go test -count=1 ./...

# One network, four languages: a Swift, a Python and a Go node and, as root, a browser page in Chromium
# (in a network namespace; needs Web/colonio.wasm, which `make test` builds first) on one seed: requests
# between every pair, a KVS compare-and-set race, pub/sub from each. Not root: the page is skipped with a
# loud banner and the rest runs on loopback.
multilang-test: bindings-build
	@if [ "$$(id -u)" -eq 0 ]; then COLONIO_SETUP_EXTRAS=browser scripts/setup.sh; fi
	COLONIO_LIBRARY="$(BIN_PATH)/libcolonio.so" PYTHONPATH=bindings/python \
		python3 bindings/testing/multilang.py --colonio "$(BIN_PATH)/colonio" --go-node "$(CURDIR)/.build/colonio-go-node"

bindings-test: abi-test python-test go-test multilang-test

# Request round trip between two nodes of each language against two Swift nodes, same run, as JSON.
bindings-bench: bindings-build
	COLONIO_LIBRARY="$(BIN_PATH)/libcolonio.so" PYTHONPATH=bindings/python \
		python3 bindings/testing/multilang.py --bench --colonio "$(BIN_PATH)/colonio" --go-node "$(CURDIR)/.build/colonio-go-node"

# Several seeds sharing one PostgreSQL registry behind nginx (docs/seed.md): the registry against a
# throwaway server (cross-seed signals, limits, resume on another seed, a database crash), then three
# `colonio seed` processes with nodes, one seed killed; ~1 min. Installs postgresql and nginx when it
# can (root or sudo); without them the suites print a loud SKIPPED banner.
POSTGRES_SUITES := ColonioSeedPostgresTests

postgres-test:
	@if [ "$$(id -u)" -eq 0 ] || command -v sudo >/dev/null; then COLONIO_SETUP_EXTRAS=postgres scripts/setup.sh || true; fi
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -x /usr/sbin/nginx ]; then \
		$(SWIFT) test --skip-build --no-parallel --filter '$(POSTGRES_SUITES)' $(SWIFT_BUILD_FLAGS); \
	else \
		echo "=================================================================="; \
		echo "postgres-test: SKIPPED (needs Debian's postgresql and nginx:"; \
		echo "  COLONIO_SETUP_EXTRAS=postgres scripts/setup.sh)"; \
		echo "=================================================================="; \
	fi

# Every Swift snippet of the README and docs/ is in a test that compiles and runs it.
doc-snippets:
	python3 scripts/check-doc-snippets.py

# The DocC documentation of Colonio and ColonioSeed (.build/docs), with every warning an error.
docs:
	scripts/build-docs.sh

# Every benchmark at a tiny size (`bench all --quick`): checks that each runs and prints valid JSON
# (not its figures). The NAT benchmark is left to nat-test, which runs the same lab.
bench-smoke:
	@bin="$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))/colonio"; set -e; \
	COLONIO_BENCH_SKIP_NAT=1 "$$bin" bench all --quick --json | python3 scripts/check-bench-json.py

# libFuzzer on every decoder of the core (docs/security.md#fuzzing): scripts/fuzz.sh compiles the core's
# sources with the harness Fuzz/ColonioFuzz.swift in one swiftc run (no SwiftPM build) and runs each
# target from its corpus in Fuzz/corpus/. A crash or failed round-trip check fails the target and prints
# the command that reproduces it. `fuzz`: FUZZ_SECONDS per target from an optimised build (~2.5 min of
# CPU to compile); `fuzz-smoke` (in `make test`): FUZZ_SMOKE_SECONDS per target, unoptimised build.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 2

fuzz: setup
	FUZZ_OPT=-O nice -n 10 scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-smoke: setup
	FUZZ_JOBS=2 FUZZ_KEEP_CORPUS=0 scripts/fuzz.sh run $(FUZZ_SMOKE_SECONDS)

demo: setup
	$(SWIFT) run $(SWIFT_BUILD_FLAGS) colonio demo

BENCHMARKS ?= link seed overlay kvs spread

bench: setup
	$(SWIFT) build -c release --product colonio
	@for name in $(BENCHMARKS); do .build/release/colonio bench $$name --json || exit 1; done

# Our WebRTC link against aiortc, a WebRTC stack that shares no code with libwebrtc (Debian's
# python3-aiortc, from scripts/setup.sh): both directions, messages of 1 B to 1 MiB echoed byte for byte,
# fragments within the limit aiortc advertises (docs/architecture.md, "WebRTC engine"); loopback only.
# COLONIO_REQUIRE_INTEROP=1 makes a missing aiortc a failure (without it the suite skips itself).
INTEROP_SUITES := AiortcInteropTests

interop-test: setup
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	COLONIO_REQUIRE_INTEROP=1 $(SWIFT) test --skip-build --no-parallel --filter '$(INTEROP_SUITES)' $(SWIFT_BUILD_FLAGS)

# Colonio nodes across real NATs in the NAT lab: host, srflx and relay links, a mixed network with
# messaging, KVS and pub/sub, refused TURN credentials (docs/nat-lab.md); ~20 s. Needs root for network
# namespaces: without it the driver prints a loud SKIPPED banner (NAT_TEST_REQUIRED=1 makes that a failure).
nat-test:
	@if [ "$$(id -u)" -eq 0 ]; then COLONIO_SETUP_EXTRAS=nat-lab scripts/setup.sh; fi
	$(SWIFT) build --product colonio $(SWIFT_BUILD_FLAGS)
	scripts/nat-test.py --colonio "$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))/colonio"

# Connect time and RTT of host, srflx and relay links in the NAT lab, as JSON (release build, root).
nat-bench:
	@COLONIO_SETUP_EXTRAS=nat-lab scripts/setup.sh
	$(SWIFT) build -c release --product colonio
	scripts/nat-test.py --bench --colonio .build/release/colonio

# Brings the NAT lab up, connects standard WebRTC peers across it, tears it down (root; not part of test).
nat-lab-check:
	@COLONIO_SETUP_EXTRAS=nat scripts/setup.sh
	scripts/nat-lab-check.py

# Two headless Chromium pages in a network namespace: data channel, wasm core, crash (root; not part of test).
# Both layouts: both pages in one chromium, then one chromium per page.
browser-check:
	@COLONIO_SETUP_EXTRAS=browser scripts/setup.sh
	scripts/build-wasm.sh .build-wasm/browser-check.wasm
	scripts/browser-check.py --browsers 1 --wasm .build-wasm/browser-check.wasm
	scripts/browser-check.py --browsers 2 --wasm .build-wasm/browser-check.wasm

# The real-browser test of `make browser-node-check` inside `make test` (the wasm is built already): it
# needs root for its network namespace; without root it prints a loud SKIPPED banner instead.
browser-node-test:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "=================================================================="; \
		echo "browser-node-test: SKIPPED (needs root for a network namespace)"; \
		echo "=================================================================="; \
	else \
		COLONIO_SETUP_EXTRAS=browser scripts/setup.sh && \
		COLONIO_BROWSER_TEST=1 $(SWIFT) test --skip-build --no-parallel --filter BrowserNodeTests $(SWIFT_BUILD_FLAGS); \
	fi

# Two browser pages (colonio.js + colonio.wasm served by the seed) and four native nodes in one network:
# requests, KVS and pub/sub both ways, demo page screenshot (root, Chromium; ~1 min; not part of test).
browser-node-check: wasm
	@COLONIO_SETUP_EXTRAS=browser scripts/setup.sh
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	COLONIO_BROWSER_TEST=1 $(SWIFT) test --skip-build --no-parallel --filter BrowserNodeTests $(SWIFT_BUILD_FLAGS)

clean:
	rm -rf .build .build-wasm Web/colonio.wasm
