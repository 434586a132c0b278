// Micro-benchmarks of the CPU kernels at Llama-3.2-1B shapes, at 1 and 2 threads, plus the
// machine's streaming read bandwidth so decode throughput can be stated as a share of it.
//
//   kernels_bench --benchmark_filter=MemoryRead   # GB/s the machine can read (1 GiB, 1-2 threads)
//   kernels_bench --benchmark_filter=MatVec/      # decode: GB/s of weights streamed from DRAM
//   kernels_bench --benchmark_filter=MatVecHot    # the same kernels with weights in L2 (ceiling)
//   kernels_bench --benchmark_filter=MatMul       # prefill (512 tokens): GFLOP/s
//   kernels_bench --benchmark_filter=Attention    # decode at 1k/4k context, 512-token prefill
//   kernels_bench --benchmark_filter=PoolDispatch # fixed cost of one parallel op
//   TOKENFAB_KERNELS=avx2 kernels_bench ...       # another instruction-set level
//
// Weight matrices are replicated (each copy scrambled, so no two pages are alike) until they
// exceed the last-level cache many times over, and each iteration uses the next copy, so
// matrix-vector figures are DRAM-bound like a real decode. Times are wall-clock: on a shared
// machine compare against MemoryRead measured in the same run, or use the CPU column at 1 thread.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

// GCC 12's AVX-512 headers read deliberately undefined vectors, which its uninitialized-use
// warnings flag inside the headers once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include "tokenfab/base/random.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/kernels/quant_blocks.h"
#include "tokenfab/kernels/quantize.h"

namespace tokenfab::kernels {
namespace {

constexpr int64_t kStreamBytes = int64_t{768} << 20;  // >> 32 MiB of L3

struct Matrix {
  GgmlType type;
  int64_t cols, rows, bytes;
  std::vector<std::vector<uint8_t>> copies;
};

// XORs the quantised payload of every block of a `type` row buffer (never the scales, so values
// stay finite) with a pseudo-random stream: copies of a matrix then hold distinct bytes, which no
// cache, page deduplication or compression below us can shortcut.
void Scramble(GgmlType type, uint8_t* data, int64_t bytes, uint64_t seed) {
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int64_t block = 8, first = 0, count = 8;  // block bytes, payload range within it
  uint8_t mask = 0xff;
  switch (type) {
    case GgmlType::kF32:
      block = 4, first = 0, count = 2;  // low mantissa bytes
      break;
    case GgmlType::kF16:
      block = 2, first = 0, count = 1;
      break;
    case GgmlType::kBF16:
      block = 2, first = 0, count = 1, mask = 0x0f;
      break;
    case GgmlType::kQ8_0:
      block = 34, first = 2, count = 32;
      break;
    case GgmlType::kQ4_0:
      block = 18, first = 2, count = 16;
      break;
    case GgmlType::kQ4_K:
      block = 144, first = 16, count = 128;
      break;
    case GgmlType::kQ6_K:
      block = 210, first = 0, count = 192;
      break;
    default:
      return;
  }
  for (int64_t b = 0; b + block <= bytes; b += block) {
    for (int64_t i = first; i < first + count; ++i)
      data[b + i] ^= static_cast<uint8_t>(next()) & mask;
  }
}

// A random `type` matrix (64 quantised rows repeated, then scrambled), in enough copies to stream
// from DRAM.
const Matrix& GetMatrix(GgmlType type, int64_t cols, int64_t rows, bool stream) {
  static std::vector<std::unique_ptr<Matrix>> cache;
  for (const auto& m : cache) {
    if (m->type == type && m->cols == cols && m->rows == rows && (m->copies.size() > 1) == stream) {
      return *m;
    }
  }
  for (auto& m : cache) m->copies.clear();  // keep the memory footprint to one matrix set
  cache.clear();
  auto m = std::make_unique<Matrix>();
  m->type = type;
  m->cols = cols;
  m->rows = rows;
  const int64_t row_bytes = GgmlRowBytes(type, cols);
  m->bytes = row_bytes * rows;
  base::Random random(1);
  std::vector<uint8_t> block(row_bytes * 64);
  std::vector<float> row(cols);
  for (int r = 0; r < 64; ++r) {
    for (float& v : row) v = static_cast<float>(random.Normal() * 0.02);
    QuantizeRow(type, row.data(), block.data() + r * row_bytes, cols);
  }
  const int64_t n_copies = stream ? std::max<int64_t>(2, kStreamBytes / m->bytes + 1) : 1;
  for (int64_t c = 0; c < n_copies; ++c) {
    std::vector<uint8_t> data(m->bytes);
    for (int64_t off = 0; off < m->bytes; off += block.size()) {
      std::memcpy(data.data() + off, block.data(), std::min<int64_t>(block.size(), m->bytes - off));
    }
    Scramble(type, data.data(), m->bytes, static_cast<uint64_t>(c) + 1);
    m->copies.push_back(std::move(data));
  }
  cache.push_back(std::move(m));
  return *cache.back();
}

struct TypeName {
  GgmlType type;
  const char* name;
};
const TypeName kTypes[] = {{GgmlType::kF32, "f32"},   {GgmlType::kF16, "f16"},
                           {GgmlType::kBF16, "bf16"}, {GgmlType::kQ8_0, "q8_0"},
                           {GgmlType::kQ4_0, "q4_0"}, {GgmlType::kQ4_K, "q4_K"},
                           {GgmlType::kQ6_K, "q6_K"}};

void MatVec(benchmark::State& state, GgmlType type, int64_t cols, int64_t rows, bool stream) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t tokens = state.range(1);
  const Matrix& m = GetMatrix(type, cols, rows, stream);
  CpuKernels kernels(threads);
  base::Random random(2);
  std::vector<float> x(cols * tokens), y(rows * tokens);
  for (float& v : x) v = static_cast<float>(random.Normal());
  size_t copy = 0;
  for (auto _ : state) {
    kernels.MatMul(WeightMatrix::Dense(type, m.copies[copy].data(), cols, rows), x.data(), cols,
                   tokens, y.data(), rows);
    copy = (copy + 1) % m.copies.size();
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * m.bytes);
  state.SetLabel(std::string(IsaLevelName(kernels.level())));
}

void MatMul(benchmark::State& state, GgmlType type, int64_t cols, int64_t rows) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t tokens = state.range(1);
  const Matrix& m = GetMatrix(type, cols, rows, /*stream=*/false);
  CpuKernels kernels(threads);
  base::Random random(3);
  std::vector<float> x(cols * tokens), y(rows * tokens);
  for (float& v : x) v = static_cast<float>(random.Normal());
  for (auto _ : state) {
    kernels.MatMul(WeightMatrix::Dense(type, m.copies[0].data(), cols, rows), x.data(), cols,
                   tokens, y.data(), rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * cols * rows * tokens * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(IsaLevelName(kernels.level())));
}

struct Shape {
  int64_t cols, rows;  // in_features, out_features
  const char* name;
};
const Shape kShapes[] = {{2048, 2048, "2048x2048"},
                         {2048, 8192, "2048x8192"},
                         {8192, 2048, "8192x2048"},
                         {2048, 128256, "2048x128256"}};

// ---- Memory read bandwidth ----------------------------------------------------------------------

// Sums a range with the widest loads the CPU has (four independent accumulators). Software
// prefetching measured slower for this plain loop, so there is none.
__attribute__((target("avx2"))) uint64_t ReadRangeAvx2(const uint8_t* p, int64_t bytes) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
  for (int64_t i = 0; i + 128 <= bytes; i += 128) {
    for (int j = 0; j < 4; ++j) {
      acc[j] = _mm256_add_epi64(
          acc[j], _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32 * j)));
    }
  }
  __m256i s = _mm256_add_epi64(_mm256_add_epi64(acc[0], acc[1]), _mm256_add_epi64(acc[2], acc[3]));
  return static_cast<uint64_t>(_mm256_extract_epi64(s, 0) + _mm256_extract_epi64(s, 3));
}

__attribute__((target("avx512f"))) uint64_t ReadRangeAvx512(const uint8_t* p, int64_t bytes) {
  __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
  for (int64_t i = 0; i + 256 <= bytes; i += 256) {
    for (int j = 0; j < 4; ++j)
      acc[j] = _mm512_add_epi64(acc[j], _mm512_load_si512(p + i + 64 * j));
  }
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(
      _mm512_add_epi64(_mm512_add_epi64(acc[0], acc[1]), _mm512_add_epi64(acc[2], acc[3]))));
}

void MemoryRead(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx2")) {
    state.SkipWithError("needs AVX2");
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const int64_t bytes = int64_t{1} << 30;
  uint8_t* buffer = static_cast<uint8_t*>(std::aligned_alloc(4096, bytes));
  uint64_t bits = 88172645463325252ull;  // distinct bytes on every page (xorshift)
  for (int64_t i = 0; i < bytes; i += 8) {
    bits ^= bits << 13;
    bits ^= bits >> 7;
    bits ^= bits << 17;
    std::memcpy(buffer + i, &bits, 8);
  }
  ComputePool pool(threads);
  const int64_t chunk = 4 << 20;  // 4 MiB per task
  std::vector<uint64_t> sums(threads);
  for (auto _ : state) {
    pool.Run(bytes / chunk, [&](int64_t task, int thread) {
      sums[thread] += avx512 ? ReadRangeAvx512(buffer + task * chunk, chunk)
                             : ReadRangeAvx2(buffer + task * chunk, chunk);
    });
  }
  benchmark::DoNotOptimize(sums.data());
  state.SetBytesProcessed(state.iterations() * bytes);
  std::free(buffer);
}

// ---- Thread team dispatch
// ------------------------------------------------------------------------

// One op with a trivial task per thread: the fixed cost of a parallel op (decode issues hundreds).
void PoolDispatch(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  ComputePool pool(threads);
  std::vector<int64_t> sink(threads * 16);
  for (auto _ : state) {
    pool.Run(threads, [&](int64_t task, int thread) { sink[thread * 16] += task; });
  }
  benchmark::DoNotOptimize(sink.data());
}

// ---- Attention ----------------------------------------------------------------------------------

void Attention(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t context = state.range(1), n_tokens = state.range(2);
  const int n_head = 32, n_head_kv = 8, head_dim = 64, block_tokens = 16;  // Llama-3.2-1B
  const int64_t n_blocks = (context + block_tokens - 1) / block_tokens;
  const int64_t token_stride = n_head_kv * head_dim * 2, block_stride = block_tokens * token_stride;
  std::vector<uint8_t> k(n_blocks * block_stride), v(n_blocks * block_stride);
  base::Random random(4);
  for (size_t i = 0; i < k.size(); i += 2) {
    const uint16_t a = FloatToHalf(static_cast<float>(random.Normal()));
    const uint16_t b = FloatToHalf(static_cast<float>(random.Normal()));
    std::memcpy(&k[i], &a, 2);
    std::memcpy(&v[i], &b, 2);
  }
  KvCacheView kv{GgmlType::kF16, k.data(), block_tokens, block_stride, token_stride, head_dim * 2};
  KvCacheView vv = kv;
  vv.base = v.data();
  std::vector<int32_t> table(n_blocks);
  for (int64_t b = 0; b < n_blocks; ++b) table[b] = static_cast<int32_t>(b);
  std::vector<const int32_t*> tables(n_tokens, table.data());
  std::vector<int32_t> positions(n_tokens);
  for (int64_t t = 0; t < n_tokens; ++t)
    positions[t] = static_cast<int32_t>(context - n_tokens + t);
  std::vector<float> q(n_tokens * n_head * head_dim), out(q.size());
  for (float& x : q) x = static_cast<float>(random.Normal());
  CpuKernels kernels(threads);
  const KvBatch batch{n_tokens, tables.data(), positions.data()};
  for (auto _ : state) {
    kernels.Attention({n_head, n_head_kv, head_dim, 0}, q.data(), n_head * head_dim, kv, vv, batch,
                      out.data(), n_head * head_dim);
    benchmark::DoNotOptimize(out.data());
  }
  double visited = 0;  // (query, key) pairs per head
  for (int64_t t = 0; t < n_tokens; ++t) visited += positions[t] + 1;
  state.counters["GFLOP/s"] = benchmark::Counter(visited * n_head * head_dim * 4 * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(IsaLevelName(kernels.level())));
}

void RegisterAll() {
  benchmark::RegisterBenchmark("MemoryRead", MemoryRead)->Arg(1)->Arg(2)->UseRealTime()->MinTime(2);
  for (const TypeName& t : kTypes) {
    for (const Shape& s : kShapes) {
      if (t.type == GgmlType::kF32 && s.rows > 8192) continue;  // 1 GiB per copy
      benchmark::RegisterBenchmark(
          (std::string("MatVec/") + t.name + "/" + s.name).c_str(),
          [=](benchmark::State& st) { MatVec(st, t.type, s.cols, s.rows, true); })
          ->Args({1, 1})
          ->Args({2, 1})
          ->Args({2, 4})
          ->ArgNames({"threads", "tokens"})
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
    // Weights resident in L2: the kernels' compute ceiling, which must stay well above DRAM speed.
    benchmark::RegisterBenchmark(
        (std::string("MatVecHot/") + t.name + "/2048x128").c_str(),
        [=](benchmark::State& st) { MatVec(st, t.type, 2048, 128, false); })
        ->Args({1, 1})
        ->Args({1, 4})
        ->Args({1, 7})
        ->Args({1, 8})
        ->Args({1, 16})
        ->Args({1, 64})
        ->Args({1, 512})
        ->ArgNames({"threads", "tokens"})
        ->Unit(benchmark::kMicrosecond);
    for (const Shape& s : kShapes) {
      if (s.rows > 8192) continue;
      benchmark::RegisterBenchmark(
          (std::string("MatMul/") + t.name + "/" + s.name).c_str(),
          [=](benchmark::State& st) { MatMul(st, t.type, s.cols, s.rows); })
          ->Args({1, 512})
          ->Args({2, 512})
          ->ArgNames({"threads", "tokens"})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("PoolDispatch", PoolDispatch)->Arg(1)->Arg(2)->UseRealTime();
  benchmark::RegisterBenchmark("Attention", Attention)
      ->Args({1, 1024, 1})
      ->Args({2, 4096, 1})
      ->Args({2, 512, 512})
      ->ArgNames({"threads", "context", "tokens"})
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace tokenfab::kernels

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  tokenfab::kernels::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
