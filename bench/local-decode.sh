#!/usr/bin/env bash
# A local model served through the gateway against the same model in-process (the engine benchmark), in the same
# run: single-stream decode tokens/s (through the gateway / in-process), time to first token with a 512-token
# prompt, and aggregate decode with several concurrent streams.
# Model: the engine benchmark's random-weight SmolLM2-135M-shaped Q8_0 file (written on first use).
# Usage: [BASELINE_DLL=…/switchboard.dll] [LLAMA_BIN=…/llama.cpp/build/bin] bench/local-decode.sh [repetitions=3] [concurrent=8]
# LLAMA_BIN (llama.cpp built from node-llama-cpp's bundle, see docs/benchmarks.md) adds llama-bench (pp512/tg128) and
# llama-batched-bench (1 and CONCURRENT sequences of 128 tokens) on the same file, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS="${1:-3}" CONCURRENT="${2:-8}" PORT=9110
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
MODEL="${TMPDIR:-/tmp}/switchboard-bench-smollm2-135m-q8_0.gguf"

dotnet build -c Release Switchboard.slnx -v q -nologo >/dev/null
ENGINE=bench/Switchboard.Bench.Engine/bin/Release/net10.0/Switchboard.Bench.Engine.dll
LOAD=bench/Switchboard.Bench.Load/bin/Release/net10.0/Switchboard.Bench.Load.dll
GW="$PWD/src/Switchboard/bin/Release/net10.0/switchboard.dll"

echo "In-process (engine benchmark, pp512 / tg128, $REPS repetitions):"
dotnet "$ENGINE" "$MODEL" 512 128 "$REPS" q8_0 f32 "$CONCURRENT" | grep -E "pp|tg" | sed 's/^/  /'

if [ -n "${LLAMA_BIN:-}" ]; then
  THREADS="$(nproc)"
  echo "llama.cpp, same file, $THREADS threads:"
  "$LLAMA_BIN/llama-bench" -m "$MODEL" -p 512 -n 128 -t "$THREADS" -r "$REPS" 2>/dev/null | grep -E "pp512|tg128" | sed 's/^/  /'
  "$LLAMA_BIN/llama-batched-bench" -m "$MODEL" -c 4096 -b 512 -ub 512 -npp 1 -ntg 128 -npl "1,$CONCURRENT" -t "$THREADS" 2>/dev/null \
    | grep -E "^\|\s+[0-9]" | awk -F'|' '{printf "  batched: B=%s decode %s tok/s in all\n", $4+0, $9+0}'
fi

mkdir -p "$WORK/models" && ln -s "$MODEL" "$WORK/models/bench-135m.gguf"
# BASELINE_DLL=<another build's switchboard.dll> serves the same directory on the next port; every row then runs
# against "now" and "base" one after the other, so the two are compared in the same run.
start() {   # dll port name
  ( cd "$WORK" && exec dotnet "$1" serve --urls "http://127.0.0.1:$2" --data "$WORK/data-$3" --models-dir "$WORK/models" >/dev/null 2>&1 ) &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && break || sleep 0.1; done
}
TARGETS=("now $PORT")
start "$GW" "$PORT" now
if [ -n "${BASELINE_DLL:-}" ]; then start "$BASELINE_DLL" $((PORT + 1)) base; TARGETS+=("base $((PORT + 1))"); fi
row() {   # title, then decode arguments after the model
  echo "  $1:"; shift
  for target in "${TARGETS[@]}"; do
    read -r name port <<<"$target"
    dotnet "$LOAD" decode "http://127.0.0.1:$port/v1/completions" "$REPS" local/bench-135m "$@" | sed "s/^/    $name /"
  done
}
SAMPLED='"temperature":1,"top_p":0.95'
echo "Through the gateway (streamed /v1/completions, EOS biased away):"
row "greedy, 1 stream, 128 tokens, 1-token prompt" 128 1
row "greedy, 1 stream, 128 tokens, 512-token prompt" 128 511
row "greedy, $CONCURRENT streams at once, 128 tokens each" 128 1 "$CONCURRENT"
row "sampled ($SAMPLED), 1 stream" 128 1 1 "$SAMPLED"
row "sampled ($SAMPLED), $CONCURRENT streams at once" 128 1 "$CONCURRENT" "$SAMPLED"
