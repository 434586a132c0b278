#!/usr/bin/env bash
# Side-by-side checks of tokenfab against llama.cpp on the same model files, same threads, one run.
# llama.cpp is not part of tokenfab: build it yourself and point LLAMA_CPP_BIN at its bin folder.
#
#   LLAMA_CPP_BIN=~/llama.cpp/build/bin bench/compare_llama_cpp.sh perplexity TEXT_FILE [OUT_DIR]
#       perplexity (context 512) for both architectures and every weight type
#   LLAMA_CPP_BIN=... bench/compare_llama_cpp.sh greedy [OUT_DIR]
#       greedy output on F32 files (llama.cpp with its KV cache in F32); exits 1 unless every
#       pair is the same (an empty output on either side is a failure)
#   LLAMA_CPP_BIN=... bench/compare_llama_cpp.sh speed MODEL... 
#       bench model vs llama-bench (pp512, tg128), alternating, same threads
set -euo pipefail
cd "$(dirname "$0")/.."
tokenfab="${TOKENFAB:-build/bin/tokenfab}"
bin="${LLAMA_CPP_BIN:?set LLAMA_CPP_BIN to the bin folder of a llama.cpp build}"
threads="${THREADS:-$(nproc)}"
mode="${1:?perplexity, greedy or speed}"
shift

# Models: both architectures with their usual vocabularies, at a shape whose rows fit K-quants;
# weights at model create's default scale unless INIT_STD says otherwise.
shape=(--dim 256 --layers 4 --heads 4 --kv-heads 2 --ffn 768 --context 2048
  --init-std "${INIT_STD:-0.1}")
make_model() {  # arch vocab type out
  [ -f "$4" ] || "$tokenfab" model create --arch "$1" --vocab "$2" --type "$3" --seed 3 \
    "${shape[@]}" --output "$4" >/dev/null
}

case "$mode" in
  perplexity)
    text="${1:?text file}"
    out="${2:-/tmp/tokenfab-compare}"
    mkdir -p "$out"
    printf '%-7s %-7s %-7s %12s %12s %9s\n' arch vocab type tokenfab llama.cpp diff
    for pair in llama:llama3 llama:llama2 qwen2:qwen3; do
      arch="${pair%%:*}" vocab="${pair##*:}"
      for type in f32 f16 bf16 q8_0 q4_0 q4_K q6_K q4_K_M; do
        model="$out/$arch-$vocab-$type.gguf"
        make_model "$arch" "$vocab" "$type" "$model"
        ours=$("$tokenfab" perplexity -m "$model" -f "$text" -c 512 -t "$threads" --json 2>/dev/null |
          sed 's/.*"perplexity": \([0-9.]*\).*/\1/')
        theirs=$("$bin/llama-perplexity" -m "$model" -f "$text" -c 512 -t "$threads" 2>&1 |
          sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p')
        diff=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.3f%%", (a - b) / b * 100 }')
        printf '%-7s %-7s %-7s %12s %12s %9s\n' "$arch" "$vocab" "$type" "$ours" "$theirs" "$diff"
      done
    done
    ;;
  greedy)
    out="${1:-/tmp/tokenfab-compare}"
    mkdir -p "$out"
    prompt="The history of the token factory begins"
    failed=0
    for pair in llama:llama3 llama:llama2 qwen2:qwen3 llama:gpt2; do
      arch="${pair%%:*}" vocab="${pair##*:}"
      model="$out/$arch-$vocab-f32.gguf"
      make_model "$arch" "$vocab" f32 "$model"
      ours=$("$tokenfab" generate -m "$model" -p "$prompt" -n 48 --temperature 0 --kv-type f32 \
        -t "$threads" 2>/dev/null)
      theirs=$("$bin/llama-completion" -m "$model" -p "$prompt" -n 48 --temp 0 -ctk f32 -ctv f32 \
        -t "$threads" -no-cnv --no-display-prompt --no-warmup 2>/dev/null </dev/null)
      # llama.cpp may run on past a stop, so its text need only begin with ours; but an empty
      # output compares with nothing (every text begins with ""): it fails, named as such.
      if [[ -z "$ours" ]]; then
        same="EMPTY (tokenfab printed nothing)"
      elif [[ -z "$theirs" ]]; then
        same="EMPTY (llama.cpp printed nothing)"
      elif [[ "$theirs" == "$ours"* ]]; then
        same=same
      else
        same=DIFFERENT
      fi
      [[ "$same" == same ]] || failed=1
      printf '%-6s %-7s %s\n  tokenfab : %q\n  llama.cpp: %q\n' "$arch" "$vocab" "$same" "$ours" "$theirs"
    done
    exit "$failed"
    ;;
  speed)
    for model in "$@"; do
      for run in 1 2; do
        "$tokenfab" bench model -m "$model" -t "$threads" -r 5 --json
        "$bin/llama-bench" -m "$model" -t "$threads" -r 5 -o json 2>/dev/null |
          tr -d '\n' | sed 's/  */ /g'
        echo
      done
    done
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
