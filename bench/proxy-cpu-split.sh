#!/usr/bin/env bash
# Where a proxy's CPU per request goes on this machine: user time against kernel time, for the gateway (keys, limits
# and the ledger on) and for nginx in the same seat, with the reschedule interrupts the proxy's core sends to core 0.
# Same shape as bench/gateway-overhead.sh: the fast fixture upstream and wrk on core 0, the proxy alone on core 1.
#
# The point of it: the kernel's share of a request on loopback depends on how busy core 0 is, so it is not the
# proxy's own cost. nginx is measured at 64 connections and again at fewer, where its throughput comes down to the
# gateway's; compare the kernel time per request at matched throughput, and what is left is the proxy's own.
# Two more in the same seat: "gateway-bare", the same build on a store with no keys or limits and with request logs
# and metrics off (the ledger stays: every request is recorded whatever the configuration); and "aspnetcore",
# bench/Switchboard.Bench.BareProxy: Kestrel and SocketsHttpHandler with nothing between them, the floor of the
# platform the gateway is built on.
#
#   bench/proxy-cpu-split.sh [seconds-per-run] [rounds]
#
# Per run: requests/s (wrk), the process's user and system CPU time per completed request (from /proc/PID/stat, so
# every thread is counted: the gateway's log and ledger writers too), and "RES/req": reschedule interrupts received
# by core 0 per request (/proc/interrupts), each one a wakeup that had to interrupt the other core.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/nginx-proxy.sh
source bench/nginx-proxy.sh
# shellcheck source=bench/bench-key.sh
source bench/bench-key.sh
DURATION="${1:-8}" ROUNDS="${2:-2}"
UP_PORT=9140 GW_PORT=9141 NGINX_PORT=9142 BARE_GW_PORT=9143 FLOOR_PORT=9144
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; wait; rm -rf "$WORK"' EXIT
command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx-light)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

dotnet build -c Release Switchboard.slnx -v q -nologo >/dev/null
UP_DLL=bench/Switchboard.Bench.Upstream/bin/Release/net10.0/Switchboard.Bench.Upstream.dll
FLOOR_DLL=bench/Switchboard.Bench.BareProxy/bin/Release/net10.0/Switchboard.Bench.BareProxy.dll
GW_DLL=$PWD/src/Switchboard/bin/Release/net10.0/switchboard.dll
taskset -c 0 dotnet "$UP_DLL" --urls "http://127.0.0.1:$UP_PORT" >/dev/null 2>&1 &
start_gateway() { # port [environment]
  # shellcheck disable=SC2086 # the environment is a list of VAR=value words
  ( cd "$WORK" && exec env SWITCHBOARD__PROVIDERS__BENCH__BASEURL="http://127.0.0.1:$UP_PORT/v1" SWITCHBOARD__PROVIDERS__BENCH__MODELS__0='*' ${2:-} \
      taskset -c 1 dotnet "$GW_DLL" serve --urls "http://127.0.0.1:$1" --data "$WORK/data-$1" >/dev/null 2>&1 ) &
}
start_gateway "$GW_PORT"
start_gateway "$BARE_GW_PORT" "SWITCHBOARD__METRICS__ENABLED=false SWITCHBOARD__LOGGING__CONSOLE=false SWITCHBOARD__LOGGING__FILE__ENABLED=false"
taskset -c 1 dotnet "$FLOOR_DLL" --urls "http://127.0.0.1:$FLOOR_PORT" --upstream "http://127.0.0.1:$UP_PORT" >/dev/null 2>&1 &
for port in $GW_PORT $BARE_GW_PORT $UP_PORT; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break || sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null
done
answers() { curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$1/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"bench-model","messages":[]}'; }
for _ in $(seq 100); do [ "$(answers "$FLOOR_PORT")" = 200 ] && break || sleep 0.1; done
[ "$(answers "$FLOOR_PORT")" = 200 ] || { echo "the bare proxy did not answer on $FLOOR_PORT" >&2; exit 1; }
bench_key "$GW_PORT"
bench_limits "$GW_PORT" bench-model
start_nginx "$WORK" "$UP_PORT" "$NGINX_PORT"
GW_PID="$(pgrep -nf "switchboard.dll serve --urls http://127.0.0.1:$GW_PORT")"
BARE_GW_PID="$(pgrep -nf "switchboard.dll serve --urls http://127.0.0.1:$BARE_GW_PORT")"
FLOOR_PID="$(pgrep -nf "BareProxy.dll --urls http://127.0.0.1:$FLOOR_PORT")"
# This run's worker, not a system nginx's: the child of the master whose pid file is ours.
for _ in $(seq 100); do [ -s "$WORK/nginx.pid" ] && pgrep -P "$(cat "$WORK/nginx.pid")" >/dev/null && break || sleep 0.1; done
NGINX_PID="$(pgrep -P "$(cat "$WORK/nginx.pid")")" || { echo "nginx did not start (see $WORK/nginx-error.log)" >&2; exit 1; }

wrk_load() { # port conns seconds
  WRK_STREAM=0 taskset -c 0 wrk -t1 -c"$2" -d"$3s" -s bench/wrk/chat.lua "http://127.0.0.1:$1/v1/chat/completions"
}
# Until the JIT has settled on optimised code. The bare gateway has no keys (its own store), so it takes the key unchecked.
for port in $GW_PORT $BARE_GW_PORT $FLOOR_PORT; do wrk_load "$port" 16 20 >/dev/null; done

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12, $13}'; }   # utime stime in clock ticks (after "(comm) ")
resched_core0() { awk '/^ *RES:/ {print $2}' /proc/interrupts; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

measure() { # name pid port conns
  wrk_load "$3" "$4" 2 >/dev/null
  local u0 s0 u1 s1 r0 r1
  read -r u0 s0 < <(cpu_ticks "$2"); r0="$(resched_core0)"
  wrk_load "$3" "$4" "$DURATION" > "$WORK/wrk.txt"
  read -r u1 s1 < <(cpu_ticks "$2"); r1="$(resched_core0)"
  if grep -qE "Non-2xx|Socket errors" "$WORK/wrk.txt"; then echo "failed requests:" >&2; cat "$WORK/wrk.txt" >&2; exit 1; fi
  # wrk's count of completed requests over the process's CPU time across the same window (wrk's start-up and the
  # connections' close fall inside it too, a few milliseconds against seconds).
  awk -v name="$1" -v c="$4" -v u=$(((u1 - u0) * TICK_US)) -v s=$(((s1 - s0) * TICK_US)) -v r=$((r1 - r0)) \
    '/requests in/ {n = $1} /Requests\/sec/ {rps = $2}
     END { printf "| %s | %d | %.0f | %.1f | %.1f | %.1f | %.2f |\n", name, c, rps, u / n, s / n, (u + s) / n, r / n }' "$WORK/wrk.txt"
}

echo "| proxy | conns | req/s | user µs/req | kernel µs/req | total µs/req | RES/req |"
echo "|---|---|---|---|---|---|---|"
for _ in $(seq "$ROUNDS"); do
  measure switchboard "$GW_PID" "$GW_PORT" 64
  measure gateway-bare "$BARE_GW_PID" "$BARE_GW_PORT" 64
  measure aspnetcore "$FLOOR_PID" "$FLOOR_PORT" 64
  for conns in 64 8 4 2; do measure nginx "$NGINX_PID" "$NGINX_PORT" "$conns"; done
done
