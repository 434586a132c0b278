#!/usr/bin/env bash
# Side-by-side checks of tokenfab against llama.cpp on the same model files, same threads, one run.
# llama.cpp is not part of tokenfab: build it yourself and point LLAMA_CPP_BIN at its bin folder.
#
#   LLAMA_CPP_BIN=~/llama.cpp/build/bin bench/compare_llama_cpp.sh perplexity TEXT_FILE [OUT_DIR]
#       perplexity (context 512) for every architecture and every weight type
#   LLAMA_CPP_BIN=... bench/compare_llama_cpp.sh greedy [OUT_DIR]
#       greedy output on F32 files (llama.cpp with its KV cache in F32); exits 1 unless every
#       pair is the same (an empty output on either side is a failure)
#
# PAIRS (environment) picks the architecture:vocabulary pairs, TYPES the weight types of the
# perplexity run. The dense pairs (llama, qwen2, qwen3) use one small shape; the mixture-of-experts
# architectures use their scaled named shapes (qwen3moe: qwen3-30b-a3b-mini, deepseek2:
# deepseek-v3-mini, glm4moe: glm-4.5-mini), LAYERS blocks of them (default: all).
#   LLAMA_CPP_BIN=... bench/compare_llama_cpp.sh speed MODEL...
#       bench model vs llama-bench (ppPROMPT, tgGEN; default pp128, tg32), same threads, ROUNDS
#       rounds (default 3) alternating which runs first; median and spread per side
#   LLAMA_CPP_BIN=... bench/compare_llama_cpp.sh batched MODEL
#       bench engine aggregate decode vs llama-batched-bench S_TG at SEQUENCES (default
#       1,4,16,32) concurrent sequences of PROMPT + GEN (128 + 128) tokens, ROUNDS rounds
set -euo pipefail
cd "$(dirname "$0")/.."
tokenfab="${TOKENFAB:-build/bin/tokenfab}"
bin="${LLAMA_CPP_BIN:?set LLAMA_CPP_BIN to the bin folder of a llama.cpp build}"
threads="${THREADS:-$(nproc)}"
mode="${1:?perplexity, greedy, speed or batched}"
shift

# Models: both architectures with their usual vocabularies, at a shape whose rows fit K-quants;
# weights at model create's default scale unless INIT_STD says otherwise.
shape=(--dim 256 --layers 4 --heads 4 --kv-heads 2 --ffn 768 --context 2048
  --init-std "${INIT_STD:-0.1}")
moe_shape() {  # arch: its scaled named shape, or nothing for a dense architecture
  case "$1" in
    qwen3moe) echo qwen3-30b-a3b-mini ;;
    deepseek2) echo deepseek-v3-mini ;;
    glm4moe) echo glm-4.5-mini ;;
  esac
}
make_model() {  # arch vocab type out
  [ -f "$4" ] && return
  local named args
  named=$(moe_shape "$1")
  if [[ -n "$named" ]]; then
    args=(--shape "$named" --init-std "${INIT_STD:-0.1}")
    [[ -z "${LAYERS:-}" ]] || args+=(--layers "$LAYERS")
  else
    args=("${shape[@]}")
  fi
  "$tokenfab" model create --arch "$1" --vocab "$2" --type "$3" --seed 3 "${args[@]}" \
    --output "$4" >/dev/null
}
dense_pairs="llama:llama3 llama:llama2 qwen2:qwen3 qwen3:qwen3"
moe_pairs="qwen3moe:qwen3 deepseek2:llama3 glm4moe:qwen3"

case "$mode" in
  perplexity)
    text="${1:?text file}"
    out="${2:-/tmp/tokenfab-compare}"
    mkdir -p "$out"
    printf '%-9s %-7s %-7s %12s %12s %9s\n' arch vocab type tokenfab llama.cpp diff
    for pair in ${PAIRS:-$dense_pairs $moe_pairs}; do
      arch="${pair%%:*}" vocab="${pair##*:}"
      for type in ${TYPES:-f32 f16 bf16 q8_0 q4_0 q4_K q6_K q4_K_M}; do
        model="$out/$arch-$vocab-$type.gguf"
        make_model "$arch" "$vocab" "$type" "$model"
        ours=$("$tokenfab" perplexity -m "$model" -f "$text" -c 512 -t "$threads" --json 2>/dev/null |
          sed 's/.*"perplexity": \([0-9.]*\).*/\1/')
        theirs=$("$bin/llama-perplexity" -m "$model" -f "$text" -c 512 -t "$threads" 2>&1 |
          sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p')
        diff=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.3f%%", (a - b) / b * 100 }')
        printf '%-9s %-7s %-7s %12s %12s %9s\n' "$arch" "$vocab" "$type" "$ours" "$theirs" "$diff"
      done
    done
    ;;
  greedy)
    out="${1:-/tmp/tokenfab-compare}"
    mkdir -p "$out"
    prompt="The history of the token factory begins"
    failed=0
    for pair in ${PAIRS:-$dense_pairs llama:gpt2 $moe_pairs}; do
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
      printf '%-9s %-7s %s\n  tokenfab : %q\n  llama.cpp: %q\n' "$arch" "$vocab" "$same" "$ours" "$theirs"
    done
    exit "$failed"
    ;;
  speed)
    # ROUNDS rounds; in odd rounds tokenfab runs first, in even rounds llama.cpp, so that load on
    # a shared machine falls on both alike; the spread over the rounds is printed at the end.
    out="${OUT:-/tmp/tokenfab-compare}/speed"
    mkdir -p "$out"
    pp="${PROMPT:-128}" tg="${GEN:-32}" rounds="${ROUNDS:-3}"
    ours() {
      "$tokenfab" bench model -m "$1" -t "$threads" -p "$pp" -n "$tg" -r "${REPS:-3}" --json >"$2"
    }
    theirs() {
      "$bin/llama-bench" -m "$1" -t "$threads" -p "$pp" -n "$tg" -r "${REPS:-3}" -o json \
        2>/dev/null >"$2"
    }
    for round in $(seq "$rounds"); do
      for model in "$@"; do
        name=$(basename "$model" .gguf)
        if ((round % 2)); then
          ours "$model" "$out/$name-tokenfab-$round.json"
          theirs "$model" "$out/$name-llama-$round.json"
        else
          theirs "$model" "$out/$name-llama-$round.json"
          ours "$model" "$out/$name-tokenfab-$round.json"
        fi
      done
    done
    /usr/bin/python3 - "$out" "$rounds" "$@" <<'PY'
import json, os, statistics, sys
out, rounds, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def spread(xs):
    return f"{statistics.median(xs):8.1f} [{min(xs):7.1f} .. {max(xs):7.1f}]"
print(f"{'model':34} {'test':6} {'tokenfab median [min .. max]':>31} "
      f"{'llama.cpp median [min .. max]':>31} {'ratio':>6}")
for m in models:
    name = os.path.basename(m)[:-5]
    ours = [json.load(open(f"{out}/{name}-tokenfab-{r}.json")) for r in range(1, rounds + 1)]
    theirs = [json.load(open(f"{out}/{name}-llama-{r}.json")) for r in range(1, rounds + 1)]
    for test, key, pick in (("pp", "prefill_tokens_per_s", lambda t: t["n_gen"] == 0),
                            ("tg", "decode_tokens_per_s", lambda t: t["n_prompt"] == 0)):
        a = [o[key] for o in ours]
        b = [next(t["avg_ts"] for t in run if pick(t)) for run in theirs]
        label = f"{test}{ours[0]['prompt_tokens'] if test == 'pp' else ours[0]['gen_tokens']}"
        print(f"{name:34} {label:6} {spread(a):>31} {spread(b):>31} "
              f"{statistics.median(a) / statistics.median(b):6.2f}")
PY
    ;;
  batched)
    # Aggregate decode at several concurrent sequences: bench engine (throughput workload) vs
    # llama-batched-bench (S_TG), PROMPT + GEN tokens per sequence, ROUNDS rounds alternated.
    model="${1:?model}"
    out="${OUT:-/tmp/tokenfab-compare}/batched"
    mkdir -p "$out"
    pp="${PROMPT:-128}" tg="${GEN:-128}" rounds="${ROUNDS:-3}" npl="${SEQUENCES:-1,4,16,32}"
    max_seq="${npl##*,}"
    ours() {
      "$tokenfab" bench engine -m "$model" -t "$threads" --workload throughput \
        --concurrency "$npl" --prompt-tokens "$pp" --gen-tokens "$tg" --json 2>/dev/null >"$1"
    }
    theirs() {
      "$bin/llama-batched-bench" -m "$model" -t "$threads" -c $(((pp + tg) * max_seq)) \
        -b 2048 -ub 512 -npp "$pp" -ntg "$tg" -npl "$npl" --output-format jsonl 2>/dev/null |
        grep '^{' >"$1"
    }
    for round in $(seq "$rounds"); do
      if ((round % 2)); then
        ours "$out/tokenfab-$round.json"
        theirs "$out/llama-$round.jsonl"
      else
        theirs "$out/llama-$round.jsonl"
        ours "$out/tokenfab-$round.json"
      fi
    done
    /usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ours, theirs = {}, {}
for r in range(1, rounds + 1):
    for row in json.load(open(f"{out}/tokenfab-{r}.json")):
        ours.setdefault(row["concurrency"], []).append(row["decode_tokens_per_s"])
    for line in open(f"{out}/llama-{r}.jsonl"):
        row = json.loads(line)
        theirs.setdefault(row["pl"], []).append(row["speed_tg"])
def spread(xs):
    return f"{statistics.median(xs):8.1f} [{min(xs):7.1f} .. {max(xs):7.1f}]"
print(f"{'sequences':>9} {'bench engine decode tok/s':>31} {'llama-batched-bench S_TG':>31} "
      f"{'ratio':>6}")
for n in sorted(ours):
    a, b = ours[n], theirs.get(n, [float("nan")])
    print(f"{n:9} {spread(a):>31} {spread(b):>31} "
          f"{statistics.median(a) / statistics.median(b):6.2f}")
PY
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
