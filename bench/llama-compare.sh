#!/usr/bin/env bash
# The engine beside llama.cpp, in the same run, on the same GGUF: prefill (ppN) and decode (tgN) tokens/s from
# bench/Switchboard.Bench.Engine and from llama.cpp's llama-bench, interleaved round by round (which one goes first
# alternates), each pinned to the same cores, for each thread count. Prints every round and then, per thread count
# and measure, the median of the rounds' ratios (ours / llama.cpp) with their range. This machine's speed drifts by
# tens of percent between runs: only ratios from one run mean anything.
#
#   LLAMA_BIN=/path/to/llama.cpp/build/bin bench/llama-compare.sh [model.gguf] [rounds]
#
# Environment: THREADS ("1 2"), PP (512), TG (128), CACHE (f32: the engine's default KV cache; f16: its exact
# emulation of llama.cpp's), ENGINE_DLL (a built Switchboard.Bench.Engine.dll; built in Release when unset).
# With no model given, the engine's synthetic SmolLM2-135M-shaped Q8_0 file is written once and used. How to build
# llama-bench from node-llama-cpp's bundled source is in docs/benchmarks.md.
set -euo pipefail

: "${LLAMA_BIN:?set LLAMA_BIN to the build/bin of llama.cpp (see docs/benchmarks.md)}"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${1:-${TMPDIR:-/tmp}/switchboard-bench-smollm2-135m-q8_0.gguf}
ROUNDS=${2:-4}
THREADS=${THREADS:-"1 2"}
PP=${PP:-512}
TG=${TG:-128}
CACHE=${CACHE:-f32}
ENGINE_DLL=${ENGINE_DLL:-}
if [ -z "$ENGINE_DLL" ]; then
  dotnet build -c Release "$ROOT/bench/Switchboard.Bench.Engine" -v q -nologo >/dev/null
  ENGINE_DLL=$ROOT/bench/Switchboard.Bench.Engine/bin/Release/net10.0/Switchboard.Bench.Engine.dll
fi
[ -x "$LLAMA_BIN/llama-bench" ] || { echo "no llama-bench in $LLAMA_BIN" >&2; exit 1; }

cores() { echo "0-$(($1 - 1))"; }

# One engine run: "pp tg" in tokens/s. Two repetitions, the second kept: like llama-bench's warm-up run, the first
# pays for first-touch memory and the last tier-ups at full size (writes the synthetic model if missing).
ours() {
  local out
  out=$(DOTNET_PROCESSOR_COUNT=$1 taskset -c "$(cores "$1")" dotnet "$ENGINE_DLL" "$MODEL" "$PP" "$TG" 2 q8_0 "$CACHE")
  echo "$(grep -o "pp$PP=[^]]*" <<<"$out" | grep -o '[0-9.]*$') $(grep -o "tg$TG=[^]]*" <<<"$out" | grep -o '[0-9.]*$')"
}

# One llama-bench run: "pp tg" in tokens/s (its own warm-up, one repetition).
theirs() {
  taskset -c "$(cores "$1")" "$LLAMA_BIN/llama-bench" -m "$MODEL" -p "$PP" -n "$TG" -t "$1" -r 1 -o csv 2>/dev/null | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }; next }
    { gsub(/"/, ""); if ($col["n_prompt"] > 0) pp = $col["avg_ts"]; else tg = $col["avg_ts"] }
    END { print pp, tg }'
}

[ -f "$MODEL" ] || ours 1 >/dev/null
echo "model=$MODEL engine_cache=$CACHE pp=$PP tg=$TG rounds=$ROUNDS threads=\"$THREADS\""
echo "round threads ours_pp llama_pp ours_tg llama_tg"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    if [ $((round % 2)) -eq 1 ]; then read -r opp otg < <(ours "$t"); read -r lpp ltg < <(theirs "$t")
    else read -r lpp ltg < <(theirs "$t"); read -r opp otg < <(ours "$t"); fi
    echo "$round $t $opp $lpp $otg $ltg" | tee -a "$results"
  done
done

echo
echo "| threads | measure | engine tok/s (median) | llama.cpp tok/s (median) | engine / llama.cpp: median (min–max of rounds) |"
echo "|---:|---|---:|---:|---|"
for t in $THREADS; do
  for m in pp tg; do
    awk -v t="$t" -v m="$m" -v pp="$PP" -v tg="$TG" '
      function median(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
                                         return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      $2 == t { n++; o[n] = (m == "pp" ? $3 : $5); l[n] = (m == "pp" ? $4 : $6); r[n] = o[n] / l[n] }
      END {
        lo = r[1]; hi = r[1]; for (i = 1; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
        printf "| %s | %s%s | %.1f | %.1f | %.2f (%.2f–%.2f) |\n", t, m, (m == "pp" ? pp : tg), median(o, n), median(l, n), median(r, n), lo, hi
      }' "$results"
  done
done
