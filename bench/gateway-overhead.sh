#!/usr/bin/env bash
# Measures the gateway's own overhead: the same load sent straight to a fast fixture upstream and
# through the gateway. Pinning on 2 cores: upstream + load generators on core 0, the gateway alone on core 1.
# Needs: wrk (apt-get install wrk), taskset; nginx optional (a reference proxy in the same setup).
# Usage: bench/gateway-overhead.sh [seconds-per-run]
# BASELINE_DLL=/path/to/other/switchboard.dll measures a second build too (another checkout's Release
# build, e.g. main before a change), row by row in the same run: "before" vs "now" without the machine's drift.
# AB_ROUNDS=n (with BASELINE_DLL) adds n interleaved rounds per row, alternating which build goes first, and
# reports the mean now/before throughput ratio with its spread: one pair of runs moves by ±10% on this machine.
# WITH_KEY=1 creates a project key on the gateway first (so every request is authenticated by key and metered to it
# in the ledger) and sends it on every request; a baseline build without keys ignores it. WITH_LIMITS=1 (with WITH_KEY=1)
# also sets that project's rate limits and spend limit for the benchmark's model, far above the load (admission on).
# BASELINE_ENV="VAR=value …" starts the baseline with those environment variables (configuration) added; without
# BASELINE_DLL it is this build: the same code with a layer off, e.g. BASELINE_ENV=SWITCHBOARD__METRICS__ENABLED=false.
# WITH_POSTGRES=1 (with WITH_KEY=1) runs a PostgreSQL server (Debian's, pinned to core 0 with the load) as the store of
# the gateway under test, and a second instance of it on the same database (core 0, as if on another machine) that
# serves the same key about 20 requests a second all along, so the two lease from the same counters and ledger.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/nginx-proxy.sh
source bench/nginx-proxy.sh
# shellcheck source=bench/bench-key.sh
source bench/bench-key.sh
DURATION="${1:-10}"
UP_PORT=9100 GW_PORT=9101 NGINX_PORT=9102 BASE_PORT=9103
BASELINE_DLL="${BASELINE_DLL:-}"
BASELINE_ENV="${BASELINE_ENV:-}"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"' EXIT

dotnet build -c Release Switchboard.slnx -v q -nologo >/dev/null
UP_DLL=bench/Switchboard.Bench.Upstream/bin/Release/net10.0/Switchboard.Bench.Upstream.dll
LOAD_DLL=bench/Switchboard.Bench.Load/bin/Release/net10.0/Switchboard.Bench.Load.dll
GW_DLL=src/Switchboard/bin/Release/net10.0/switchboard.dll
[ -n "$BASELINE_ENV" ] && [ -z "$BASELINE_DLL" ] && BASELINE_DLL="$PWD/$GW_DLL"

taskset -c 0 dotnet "$UP_DLL" --urls "http://127.0.0.1:$UP_PORT" >/dev/null 2>&1 &
# The gateway as shipped: console and rolling-file request log on, one line per request.
DATABASE=""
if [ "${WITH_POSTGRES:-0}" = 1 ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  chmod 711 "$WORK" && mkdir -p "$WORK/pg" && chown postgres "$WORK/pg"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
  runuser -u postgres -- taskset -c 0 "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-p 9110 -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1; rm -rf "$WORK"' EXIT
  runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p 9110 switchboard_bench
  DATABASE="Host=127.0.0.1;Port=9110;Username=postgres;Database=switchboard_bench"
fi
start_gateway() { # [dll] [port] [core] [extra environment]
  local dll="${1:-$PWD/$GW_DLL}" port="${2:-$GW_PORT}" core="${3:-1}" database=""
  [ "$dll" = "$PWD/$GW_DLL" ] && database="$DATABASE"
  # shellcheck disable=SC2086 # the extra environment is a list of VAR=value words
  ( cd "$WORK" && SWITCHBOARD__PROVIDERS__BENCH__BASEURL="http://127.0.0.1:$UP_PORT/v1" \
    SWITCHBOARD__PROVIDERS__BENCH__MODELS__0='*' \
    exec env ${database:+"SWITCHBOARD__DATABASE=$database"} ${4:-} taskset -c "$core" dotnet "$dll" serve --urls "http://127.0.0.1:$port" --data "$WORK/data-$port" >/dev/null 2>&1 ) &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break || sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null
}
start_gateway
[ -n "$BASELINE_DLL" ] && start_gateway "$BASELINE_DLL" "$BASE_PORT" 1 "$BASELINE_ENV"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$UP_PORT/healthz" >/dev/null 2>&1 && break || sleep 0.1; done
if [ "${WITH_KEY:-0}" = 1 ]; then
  bench_key "$GW_PORT"
  if [ "${WITH_LIMITS:-0}" = 1 ]; then bench_limits "$GW_PORT" bench-model; fi
  if [ -n "$DATABASE" ]; then
    start_gateway "$PWD/$GW_DLL" 9104 0
    ( while :; do curl -s -o /dev/null -XPOST "http://127.0.0.1:9104/v1/chat/completions" -H "Authorization: Bearer $WRK_KEY" \
        -H 'Content-Type: application/json' -d '{"model":"bench-model","messages":[{"role":"user","content":"hi"}],"max_tokens":16}'; sleep 0.05; done ) &
    echo "PostgreSQL on: the gateway's store, shared with a second instance serving the same key about 20 requests a second."
  fi
fi
GW_PID="$(pgrep -nf "switchboard.dll serve --urls http://127.0.0.1:$GW_PORT")"

if command -v nginx >/dev/null 2>&1; then
  start_nginx "$WORK" "$UP_PORT" "$NGINX_PORT"
fi

# Warm the gateway(s) until the JIT has settled on optimised code (tier-1 after PGO): 20 s of load.
for port in $GW_PORT $([ -n "$BASELINE_DLL" ] && echo $BASE_PORT); do
  WRK_STREAM=0 taskset -c 0 wrk -t1 -c64 -d20s -s bench/wrk/chat.lua "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
  WRK_STREAM=1 taskset -c 0 wrk -t1 -c64 -d5s -s bench/wrk/chat.lua "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
done

run_wrk() { # target conns stream -> "rps p50_us p99_us"
  local url="$1/v1/chat/completions" conns="$2" stream="$3"
  WRK_STREAM="$stream" taskset -c 0 wrk -t1 -c"$conns" -d3s -s bench/wrk/chat.lua "$url" >/dev/null # warm-up
  WRK_STREAM="$stream" taskset -c 0 wrk -t1 -c"$conns" -d"${DURATION}s" -s bench/wrk/chat.lua "$url" > "$WORK/wrk.txt"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then echo "non-2xx responses:" >&2; cat "$WORK/wrk.txt" >&2; exit 1; fi
  awk '/Requests\/sec/ {rps=$2} /^percentiles_us/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); p[kv[1]] = kv[2]}} END {print rps, p["p50"], p["p99"]}' "$WORK/wrk.txt"
}

ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }
echo "| mode | conns | direct req/s | gateway req/s | direct p50 ms | gateway p50 ms | added p50 ms | direct p99 ms | gateway p99 ms | added p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|"
BASE_ROWS=""
for stream in 0 1; do
  for conns in 1 16 64; do
    read -r d_rps d50 d99 < <(run_wrk "http://127.0.0.1:$UP_PORT" "$conns" "$stream")
    read -r g_rps g50 g99 < <(run_wrk "http://127.0.0.1:$GW_PORT" "$conns" "$stream")
    m="$([ "$stream" = 1 ] && echo stream || echo json)"
    awk -v m="$m" -v c="$conns" -v dr="$d_rps" -v gr="$g_rps" \
        -v d50="$d50" -v g50="$g50" -v d99="$d99" -v g99="$g99" \
        'BEGIN { printf "| %s | %d | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", m, c, dr, gr, d50/1000, g50/1000, (g50-d50)/1000, d99/1000, g99/1000, (g99-d99)/1000 }'
    if [ -n "$BASELINE_DLL" ]; then
      read -r b_rps b50 b99 < <(run_wrk "http://127.0.0.1:$BASE_PORT" "$conns" "$stream")
      BASE_ROWS+="$(awk -v m="$m" -v c="$conns" -v br="$b_rps" -v gr="$g_rps" -v d50="$d50" -v b50="$b50" -v g50="$g50" -v d99="$d99" -v b99="$b99" -v g99="$g99" \
        'BEGIN { printf "| %s | %d | %.0f | %.0f | %.2f | %.3f | %.3f | %.3f | %.3f |", m, c, br, gr, gr/br, (b50-d50)/1000, (g50-d50)/1000, (b99-d99)/1000, (g99-d99)/1000 }')"$'\n'
    fi
  done
done
if [ -n "$BASELINE_DLL" ]; then
  echo
  echo "Before ($BASELINE_DLL) vs now, each row measured right after the other:"
  echo "| mode | conns | before req/s | now req/s | now/before | before added p50 ms | now added p50 ms | before added p99 ms | now added p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf "%s" "$BASE_ROWS"
fi

if [ -n "$BASELINE_DLL" ] && [ "${AB_ROUNDS:-0}" -gt 0 ]; then
  rps_of() { # port conns stream -> req/s of one 4 s run
    WRK_STREAM="$3" taskset -c 0 wrk -t1 -c"$2" -d4s -s bench/wrk/chat.lua "http://127.0.0.1:$1/v1/chat/completions" | awk '/Requests\/sec/ {print $2}'
  }
  echo
  echo "Interleaved: $AB_ROUNDS rounds per row, 4 s per run, the first build alternating; now/before req/s:"
  echo "| mode | conns | mean ratio | min | max |"
  echo "|---|---|---|---|---|"
  for stream in 0 1; do
    for conns in 1 16 64; do
      ratios=""
      for round in $(seq "$AB_ROUNDS"); do
        if [ $((round % 2)) = 1 ]; then b="$(rps_of $BASE_PORT "$conns" "$stream")"; g="$(rps_of $GW_PORT "$conns" "$stream")"
        else g="$(rps_of $GW_PORT "$conns" "$stream")"; b="$(rps_of $BASE_PORT "$conns" "$stream")"; fi
        ratios+="$(awk -v g="$g" -v b="$b" 'BEGIN { print g / b }') "
      done
      echo "$ratios" | awk -v m="$([ "$stream" = 1 ] && echo stream || echo json)" -v c="$conns" \
        '{ min = $1; max = $1; for (i = 1; i <= NF; i++) { sum += $i; if ($i < min) min = $i; if ($i > max) max = $i } printf "| %s | %d | %.3f | %.2f | %.2f |\n", m, c, sum / NF, min, max }'
    done
  done
fi

if [ -f "$WORK/nginx.pid" ]; then
  echo
  echo "Reference: nginx (1 worker, keepalive upstream, proxy_buffering off) in the same place as the gateway:"
  echo "| mode | conns | nginx req/s | nginx p50 ms | nginx p99 ms |"
  echo "|---|---|---|---|---|"
  for stream in 0 1; do
    for conns in 1 64; do
      read -r n_rps n50 n99 < <(run_wrk "http://127.0.0.1:$NGINX_PORT" "$conns" "$stream")
      echo "| $([ "$stream" = 1 ] && echo stream || echo json) | $conns | ${n_rps%.*} | $(ms "$n50") | $(ms "$n99") |"
    done
  done
fi

echo
echo "Time to first token (1 connection, sequential, 2000 streams after 200 warm-up):"
echo "  direct:  $(taskset -c 0 dotnet "$LOAD_DLL" ttft "http://127.0.0.1:$UP_PORT/v1/chat/completions" 2000)"
echo "  gateway: $(taskset -c 0 dotnet "$LOAD_DLL" ttft "http://127.0.0.1:$GW_PORT/v1/chat/completions" 2000)"
echo
echo "Gateway memory with 1000 concurrent open streams (a fresh gateway, so its peak is this test's):"
kill "$GW_PID"; while kill -0 "$GW_PID" 2>/dev/null; do sleep 0.1; done
start_gateway
GW_PID="$(pgrep -nf "switchboard.dll serve --urls http://127.0.0.1:$GW_PORT")"
curl -sf -XPOST "http://127.0.0.1:$GW_PORT/v1/chat/completions" -H 'Content-Type: application/json' -H "Authorization: Bearer ${WRK_KEY:-sk-bench}" -d '{"model":"m","stream":true,"messages":[]}' >/dev/null
echo "  idle:    $(grep -E 'VmRSS' /proc/"$GW_PID"/status | tr -s ' ')"
echo "  $(taskset -c 0 dotnet "$LOAD_DLL" streams "http://127.0.0.1:$GW_PORT/v1/chat/completions" 1000 "$GW_PID")"
