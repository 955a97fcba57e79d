# Targets for building, regenerating and checking tci. CI runs .ci/run, which calls these targets.
GO ?= go
UPSTREAM ?= testdata/together-openapi.yaml
FUZZTIME ?= 1m

.PHONY: all build generate check-generated spec vet test bench fuzz check

all: check build

build:
	$(GO) build -o bin/tci ./cmd/tci

# Regenerate generated/ from openapi.yaml through api/oapi-codegen.yaml and api/overlay.yaml.
generate:
	$(GO) generate ./...

# Fail when generated/ or openapi.yaml differ from what the generators write.
check-generated:
	$(GO) run ./cmd/extract-spec -in testdata/together-openapi.yaml -out openapi.yaml
	$(GO) generate ./...
	git diff --exit-code -- openapi.yaml generated/
	@test -z "$$(git status --porcelain -- openapi.yaml generated/)" || \
		{ git status --porcelain -- openapi.yaml generated/; echo "untracked generated files"; exit 1; }

# Rebuild openapi.yaml from the upstream document: UPSTREAM=<file or https URL>.
spec:
	$(GO) run ./cmd/extract-spec -in $(UPSTREAM) -out openapi.yaml

vet:
	$(GO) vet ./...

test:
	$(GO) test -race ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Run every fuzz target for FUZZTIME each; CI uses a few seconds, the default is a minute.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

check: check-generated vet test
