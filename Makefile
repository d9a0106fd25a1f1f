# The test command of the README. Tests that touch data run on SQLite and
# on PostgreSQL (CIRQLL_TEST_POSTGRES_URL); the browser tests need Chromium.
CIRQLL_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
CIRQLL_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export CIRQLL_TEST_POSTGRES_URL CIRQLL_TEST_REDIS_URL

# Packages whose code runs concurrently get the race detector.
RACE_PKGS = ./internal/ratelimit/... ./internal/webhook/... ./internal/resource/... ./internal/store/...
FUZZTIME ?= 5s

.PHONY: test vet unit race fuzz bench serve

test: vet unit race fuzz

vet:
	@test -z "$$(gofmt -l cmd internal web 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l cmd internal web; exit 1; }
	go vet ./...

unit:
	go test -count=1 -timeout 20m ./...

race:
	go test -count=1 -race -timeout 20m $(RACE_PKGS)

fuzz:
	go test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/query

bench:
	go test -run='^$$' -bench=. -benchmem ./internal/...

serve:
	go run ./cmd/cirqll serve
