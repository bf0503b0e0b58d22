# Colonio for Swift. `make demo` and `make test` work on a fresh Debian machine.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: setup build test wasm wasm-test demo bench clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

wasm: setup
	scripts/build-wasm.sh Web/colonio.wasm

wasm-test: wasm
	node Web/smoke-test.mjs Web/colonio.wasm

test: setup wasm-test
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)

demo: setup
	$(SWIFT) run $(SWIFT_BUILD_FLAGS) colonio demo

bench: setup
	$(SWIFT) run -c release colonio bench all --json

clean:
	rm -rf .build .build-wasm Web/colonio.wasm
