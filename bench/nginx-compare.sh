#!/usr/bin/env bash
# The gateway beside nginx in the same seat, on a load shape that is not ours (issue #16): a plain Node.js upstream
# answering a fixed 355-byte chat completion (bench/nginx-compare/upstream.js), wrk with a ~32-token chat body. The
# upstream and wrk are pinned to core 0; the gateway and nginx (1 worker, keepalive upstream pool, proxy_buffering off)
# take turns alone on core 1. After 15 s of warm-up at 16 connections each, every round measures, for the upstream
# alone, the gateway and nginx (the proxies' order alternating): 8 s at 1 connection (p50), then 8 s at 64 (req/s).
# Each round also shows the gateway's bytes allocated per request at 64 connections (the runtime's counter on /metrics).
# Prints each round, then the gateway/nginx ratios' min, median and max:
# added p50 at 1 connection (target ≤ 1.5) and req/s at 64 (target ≥ 0.6).
#   bench/nginx-compare.sh [rounds=3] [seconds=8]
# Needs: wrk, nginx (nginx-light), node (nodejs), taskset. GW_DLL: another gateway build (default: this one, Release).
# GW_ENV="VAR=value …": extra gateway configuration (e.g. SWITCHBOARD__METRICS__ENABLED=false).
# WITH_KEY=1: every request carries a project key and is metered to it in the ledger (nginx gets the same header).
# WITH_LIMITS=1 (with WITH_KEY=1): that project's rate limits, tokens per minute and spend limit apply (admission on).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/nginx-proxy.sh
source bench/nginx-proxy.sh
# shellcheck source=bench/bench-key.sh
source bench/bench-key.sh
ROUNDS="${1:-3}" RUN="${2:-8}"
UP_PORT=9130 GW_PORT=9131 NGINX_PORT=9132
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
for tool in wrk nginx node taskset; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install wrk nginx-light nodejs util-linux)" >&2; exit 1; }; done

if [ -z "${GW_DLL:-}" ]; then
  dotnet build -c Release src/Switchboard -v q -nologo >/dev/null
  GW_DLL="$PWD/src/Switchboard/bin/Release/net10.0/switchboard.dll"
fi
taskset -c 0 node bench/nginx-compare/upstream.js "$UP_PORT" &
# shellcheck disable=SC2086 # GW_ENV is a list of VAR=value words
( cd "$WORK" && exec env SWITCHBOARD__PROVIDERS__BENCH__BASEURL="http://127.0.0.1:$UP_PORT/v1" SWITCHBOARD__PROVIDERS__BENCH__MODELS__0='*' ${GW_ENV:-} \
    taskset -c 1 dotnet "$GW_DLL" serve --urls "http://127.0.0.1:$GW_PORT" --data "$WORK/data" >/dev/null 2>&1 ) &
start_nginx "$WORK" "$UP_PORT" "$NGINX_PORT"
for port in $GW_PORT $UP_PORT; do
  for _ in $(seq 100); do curl -sf -o /dev/null -XPOST "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"bench-model","messages":[]}' && break || sleep 0.1; done
done

wrk_run() { # port conns seconds -> "rps p50_us requests"
  taskset -c 0 wrk -t1 -c"$2" -d"$3s" -s bench/nginx-compare/chat32.lua "http://127.0.0.1:$1/v1/chat/completions" > "$WORK/wrk.txt"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then echo "non-2xx responses from port $1:" >&2; cat "$WORK/wrk.txt" >&2; exit 1; fi
  awk '/Requests\/sec/ {rps=$2} /^percentiles_us/ {split($2, a, "="); p50=a[2]} / requests in / {n=$1} END {print rps, p50, n}' "$WORK/wrk.txt"
}
allocated() { # the gateway's bytes allocated so far, from the runtime's counter on /metrics (empty without one)
  curl -sf "http://127.0.0.1:$GW_PORT/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ {print $2}' || true
}
if [ "${WITH_KEY:-0}" = 1 ]; then
  bench_key "$GW_PORT"
  if [ "${WITH_LIMITS:-0}" = 1 ]; then bench_limits "$GW_PORT" bench-model; fi
fi
for port in $GW_PORT $NGINX_PORT; do wrk_run "$port" 16 15 >/dev/null; done

echo "| round | upstream p50 ms | gateway added p50 ms | nginx added p50 ms | added ratio | upstream req/s (64) | gateway req/s (64) | nginx req/s (64) | req/s ratio | gateway bytes allocated per request (64) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
ADDED="" RPS=""
for round in $(seq "$ROUNDS"); do
  read -r _ d50 _ < <(wrk_run $UP_PORT 1 "$RUN")
  read -r d64 _ _ < <(wrk_run $UP_PORT 64 "$RUN")
  if [ $((round % 2)) = 1 ]; then order="$GW_PORT $NGINX_PORT"; else order="$NGINX_PORT $GW_PORT"; fi
  for port in $order; do
    read -r _ p50 _ < <(wrk_run "$port" 1 "$RUN")
    [ "$port" = "$GW_PORT" ] && a0="$(allocated)"
    read -r r64 _ n < <(wrk_run "$port" 64 "$RUN")
    if [ "$port" = "$GW_PORT" ]; then g50=$p50 g64=$r64 bytes="$(awk -v a="$(allocated)" -v b="$a0" -v n="$n" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.0f", (a - b) / n }')"; else n50=$p50 n64=$r64; fi
  done
  row="$(awk -v r="$round" -v d50="$d50" -v g50="$g50" -v n50="$n50" -v d64="$d64" -v g64="$g64" -v n64="$n64" -v b="$bytes" 'BEGIN {
    ga = (g50 - d50) / 1000; na = (n50 - d50) / 1000; ar = na > 0 ? ga / na : 0; rr = g64 / n64
    printf "| %d | %.3f | %.3f | %.3f | %.2f | %.0f | %.0f | %.0f | %.2f | %s |\n%.4f %.4f", r, d50 / 1000, ga, na, ar, d64, g64, n64, rr, b, ar, rr }')"
  echo "$row" | head -1
  read -r ar rr < <(echo "$row" | tail -1)
  ADDED+="$ar " RPS+="$rr "
done
summary() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk -v what="$2" '{ v[NR] = $1 } END { printf "%s: min %.2f, median %.2f, max %.2f over %d rounds\n", what, v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }'; }
summary "$ADDED" "gateway/nginx added p50 at 1 connection (target ≤ 1.5)"
summary "$RPS" "gateway/nginx req/s at 64 connections (target ≥ 0.6)"
