#!/usr/bin/env bash
# Encode throughput of tokenfab's tokenizers beside tiktoken's (llama-tokenizer-js's for Llama 2)
# on the same text: the well-formed lines of the tokenizer reference corpus, one encode per line.
#
#   bench/micro/tokenizer_bench.sh      (after scripts/build; TOKENFAB_BUILD_DIR picks the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${TOKENFAB_BUILD_DIR:-build}"
corpus="$(mktemp --suffix=.jsonl)"
trap 'rm -f "$corpus"' EXIT
"$build/bin/tokenizer_corpus" "$corpus"

echo "== tokenfab: MB/s by CPU time (median of 3; M = 2^20 bytes)"
"$build/bin/tokenizer_bench" --benchmark_filter=BM_Encode --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true 2>/dev/null |
  awk '/_median/ { for (i = 1; i <= NF; ++i) if ($i ~ /^bytes_per_second=/) {
         sub(/^bytes_per_second=/, "", $i); sub(/_median$/, "", $1); sub(/^BM_Encode\//, "", $1);
         sub(/M\/s$/, " MB/s", $i); printf "  %-16s %s\n", $1, $i } }'
echo "== references on the same text"
node bench/micro/tokenizer_bench_tiktoken.mjs "$corpus" "$build/share/tokenfab/vocab" 3
