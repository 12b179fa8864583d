#!/usr/bin/env bash
# A local model served through the gateway against the same model in-process (the engine benchmark), in the same
# run: single-stream decode tokens/s (through the gateway / in-process), time to first token with a 512-token
# prompt, and aggregate decode with several concurrent streams.
# Model: the engine benchmark's random-weight SmolLM2-135M-shaped Q8_0 file (written on first use).
# Usage: bench/local-decode.sh [repetitions=3] [concurrent=8]
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
dotnet "$ENGINE" "$MODEL" 512 128 "$REPS" | grep -E "pp|tg" | sed 's/^/  /'

mkdir -p "$WORK/models" && ln -s "$MODEL" "$WORK/models/bench-135m.gguf"
( cd "$WORK" && exec dotnet "$GW" serve --urls "http://127.0.0.1:$PORT" --data "$WORK/data" --models-dir "$WORK/models" >/dev/null 2>&1 ) &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break || sleep 0.1; done
URL="http://127.0.0.1:$PORT/v1/completions"
echo "Through the gateway (streamed /v1/completions, greedy, EOS biased away):"
echo "  1 stream, 128 tokens, 1-token prompt:";   dotnet "$LOAD" decode "$URL" "$REPS" local/bench-135m 128 1 | sed 's/^/    /'
echo "  1 stream, 128 tokens, 512-token prompt:"; dotnet "$LOAD" decode "$URL" "$REPS" local/bench-135m 128 511 | sed 's/^/    /'
echo "  $CONCURRENT streams at once, 128 tokens each (sequences take turns: Local:MaxConcurrentSequences=1):"
dotnet "$LOAD" decode "$URL" 1 local/bench-135m 128 1 "$CONCURRENT" | sed 's/^/    /'
