#!/usr/bin/env bash
# Ledger throughput on SQLite and on a real PostgreSQL (a private cluster started here on loopback, stopped after):
# ROWS rows through the LedgerWriter, drained, counted. Needs Debian's postgresql package for the second line.
# Usage: bench/ledger-throughput.sh [rows=200000]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-200000}"
dotnet build -c Release bench/Switchboard.Bench.Ledger -v q -nologo >/dev/null
BENCH="dotnet bench/Switchboard.Bench.Ledger/bin/Release/net10.0/Switchboard.Bench.Ledger.dll"
$BENCH "$ROWS"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$BIN" ] || { echo "postgres: not installed"; exit 0; }
PG="$(mktemp -d)"; PORT=9199
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PG"
trap 'as_pg "$BIN/pg_ctl" -D "$PG/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG"' EXIT
as_pg "$BIN/initdb" -D "$PG/data" -A trust -U postgres --no-sync >/dev/null
# fsync stays on: the throughput of durable commits is the point.
as_pg "$BIN/pg_ctl" -D "$PG/data" -l "$PG/log" -w -o "-p $PORT -k $PG -c listen_addresses=127.0.0.1" start >/dev/null
$BENCH "$ROWS" "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
