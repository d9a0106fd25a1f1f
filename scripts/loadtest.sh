#!/usr/bin/env bash
# The project's load benchmark (docs/benchmarks.md):
#
#   scripts/loadtest.sh                     # SQLite
#   scripts/loadtest.sh postgres://postgres@127.0.0.1:5432/postgres   # PostgreSQL (a fresh database is created and dropped)
#
# Builds the server and cirqll-load, seeds a company with CUSTOMERS
# customers (x2 contacts, x1 task, x1 chance) through `cirqll seed`, starts
# `cirqll serve` on a free loopback port with a bearer token checked on every
# request, and runs the five budgeted workloads at C connections, REPS runs
# of DUR each; prints medians.
set -euo pipefail
CUSTOMERS="${CUSTOMERS:-100000}"
C="${C:-16}"
DUR="${DUR:-10s}"
REPS="${REPS:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d -t cirqll-load.XXXX)"
PG="${1:-}"
PGDB=""
SRV=""
cleanup() {
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null || true
  [ -n "$PGDB" ] && psql "$PG" -qAtc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
(cd "$ROOT" && go build -o "$TMP/cirqll" ./cmd/cirqll && go build -o "$TMP/cirqll-load" ./cmd/cirqll-load)
if [ -n "$PG" ]; then
  PGDB="cirqll_load_$$"
  psql "$PG" -qAtc "CREATE DATABASE $PGDB" >/dev/null
  export CIRQLL_DATABASE_URL="${PG%/*}/$PGDB"
else
  export CIRQLL_DATABASE_URL="$TMP/cirqll.db"
fi
PORT=$((20000 + RANDOM % 20000))
export CIRQLL_ADDR="127.0.0.1:$PORT" CIRQLL_RATE_LIMIT=100000000 CIRQLL_ENV=production
json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$TMP/cirqll" migrate >/dev/null
COMPANY=$("$TMP/cirqll" company create --name "Load BV" --owner-email owner@load.test --owner-password load-owner-password | json company_id)
"$TMP/cirqll" client create --company "$COMPANY" --name load --redirect-uri http://127.0.0.1:1/cb >"$TMP/client.json"
CID=$(json client_id <"$TMP/client.json"); SECRET=$(json client_secret <"$TMP/client.json")
echo "seeding $CUSTOMERS customers..." >&2
"$TMP/cirqll" seed --company "$COMPANY" --customers "$CUSTOMERS" --contacts 2 --tasks 1 --chances 1 >&2
"$TMP/cirqll" serve >"$TMP/serve.out" 2>"$TMP/serve.log" &
SRV=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN=$(curl -fs -u "$CID:$SECRET" "http://127.0.0.1:$PORT/oauth/token" -d grant_type=client_credentials \
  --data-urlencode "scope=customer.read.all customer.create.all customer.update.all contact.read.all user.read.all" | json access_token)
DBKIND=sqlite; [ -n "$PG" ] && DBKIND=postgres
echo "database: $DBKIND, customers=$CUSTOMERS, c=$C, dur=$DUR, reps=$REPS, $(nproc) cores"
"$TMP/cirqll-load" -url "http://127.0.0.1:$PORT" -token "$TOKEN" -max-id "$CUSTOMERS" -c "$C" -d "$DUR" -reps "$REPS"
