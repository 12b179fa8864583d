#!/usr/bin/env bash
# CPU time per request of one gateway build run two ways, to price a layer that can be switched off: instance A with
# the environment in A_ENV, instance B with B_ENV, both pinned to core 1, the load (wrk) and the fast fixture upstream
# on core 0. Each round sends the same load to A and then B (the first alternating) and reads each process's
# user+system CPU time from /proc before and after, so the figure is CPU microseconds per completed request: far
# steadier on this machine than throughput, which moves by tens of percent between runs.
#
#   A_ENV="SWITCHBOARD__METRICS__ENABLED=true" B_ENV="SWITCHBOARD__METRICS__ENABLED=false" bench/layer-cpu.sh [rounds] [seconds] [conns] [stream]
#
# Prints each round's µs/request for A and B and their difference, then the mean and range of the differences.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-6}" SECONDS_PER_RUN="${2:-5}" CONNS="${3:-16}" STREAM="${4:-0}"
A_ENV="${A_ENV:-}" B_ENV="${B_ENV:-}"
UP_PORT=9120 A_PORT=9121 B_PORT=9122
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

dotnet build -c Release Switchboard.slnx -v q -nologo >/dev/null
UP_DLL=bench/Switchboard.Bench.Upstream/bin/Release/net10.0/Switchboard.Bench.Upstream.dll
GW_DLL=$PWD/src/Switchboard/bin/Release/net10.0/switchboard.dll
taskset -c 0 dotnet "$UP_DLL" --urls "http://127.0.0.1:$UP_PORT" >/dev/null 2>&1 &

start() { # port env
  # shellcheck disable=SC2086 # the environment is a list of VAR=value words
  ( cd "$WORK" && exec env SWITCHBOARD__PROVIDERS__BENCH__BASEURL="http://127.0.0.1:$UP_PORT/v1" SWITCHBOARD__PROVIDERS__BENCH__MODELS__0='*' $2 \
      taskset -c 1 dotnet "$GW_DLL" serve --urls "http://127.0.0.1:$1" --data "$WORK/data-$1" >/dev/null 2>&1 ) &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && break || sleep 0.1; done
  curl -sf "http://127.0.0.1:$1/healthz" >/dev/null
}
start $A_PORT "$A_ENV"
start $B_PORT "$B_ENV"
A_PID="$(pgrep -nf "switchboard.dll serve --urls http://127.0.0.1:$A_PORT")"
B_PID="$(pgrep -nf "switchboard.dll serve --urls http://127.0.0.1:$B_PORT")"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime, in clock ticks
HZ="$(getconf CLK_TCK)"

# Warm both until the JIT has settled (tier-1 after PGO).
for port in $A_PORT $B_PORT; do WRK_STREAM="$STREAM" taskset -c 0 wrk -t1 -c"$CONNS" -d20s -s bench/wrk/chat.lua "http://127.0.0.1:$port/v1/chat/completions" >/dev/null; done

run() { # port pid -> "µs-per-request"
  local before after requests
  before="$(ticks "$2")"
  requests="$(WRK_STREAM="$STREAM" taskset -c 0 wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" -s bench/wrk/chat.lua "http://127.0.0.1:$1/v1/chat/completions" \
    | awk '/requests in/ { print $1 }')"
  after="$(ticks "$2")"
  awk -v b="$before" -v a="$after" -v n="$requests" -v hz="$HZ" 'BEGIN { printf "%.2f", (a - b) / hz * 1e6 / n }'
}

echo "A: ${A_ENV:-(default)}   B: ${B_ENV:-(default)}   conns=$CONNS stream=$STREAM, ${SECONDS_PER_RUN}s per run"
echo "| round | A µs CPU/request | B µs CPU/request | A − B |"
echo "|---|---|---|---|"
DIFFS=""
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then a="$(run $A_PORT "$A_PID")"; b="$(run $B_PORT "$B_PID")"
  else b="$(run $B_PORT "$B_PID")"; a="$(run $A_PORT "$A_PID")"; fi
  d="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a - b }')"
  DIFFS+="$d "
  echo "| $round | $a | $b | $d |"
done
echo "$DIFFS" | awk '{ min = $1; max = $1; for (i = 1; i <= NF; i++) { s += $i; if ($i < min) min = $i; if ($i > max) max = $i } printf "A − B: mean %.2f µs CPU per request (min %.2f, max %.2f over %d rounds)\n", s / NF, min, max, NF }'
