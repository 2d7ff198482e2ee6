// The encoder's attention runs as two gemms per (window, head, block of queries), with the block's
// scores kept in cache; the decoder's one-query attention is dot products and a weighted sum over
// the cached rows, too small for a gemm's packing to pay off.
#include "asr/attention.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/fast_exp.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::asr {

namespace {

// Queries per encoder attention task: a (64, frames) score block stays in L2 even at 1500 frames,
// and windows * heads * blocks gives every thread work.
constexpr int64_t kQueryBlock = 64;

// Generic vectors: independent partial sums let the compiler vectorise reductions without
// -ffast-math, which it may not reorder on its own. V is 8 lanes in the AVX2 build, 4 otherwise.
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));

template <typename V>
inline __attribute__((always_inline)) float sum_lanes(V v) {
  float s = 0.f;
  for (size_t j = 0; j < sizeof(V) / sizeof(float); ++j) s += v[j];
  return s;
}

template <typename V>
inline __attribute__((always_inline)) float dot(const float* a, const float* b, int64_t n) {
  constexpr int64_t kLanes = sizeof(V) / sizeof(float);
  V acc0{}, acc1{}, a0, b0, a1, b1;
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    std::memcpy(&a0, a + i, sizeof(V));
    std::memcpy(&b0, b + i, sizeof(V));
    std::memcpy(&a1, a + i + kLanes, sizeof(V));
    std::memcpy(&b1, b + i + kLanes, sizeof(V));
    acc0 += a0 * b0;
    acc1 += a1 * b1;
  }
  for (; i + kLanes <= n; i += kLanes) {
    std::memcpy(&a0, a + i, sizeof(V));
    std::memcpy(&b0, b + i, sizeof(V));
    acc0 += a0 * b0;
  }
  float s = sum_lanes(acc0 + acc1);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// x = softmax(x) over n values, max-subtracted so large scores cannot overflow.
template <typename V>
inline __attribute__((always_inline)) void softmax_in_place(float* x, int64_t n) {
  constexpr int64_t kLanes = sizeof(V) / sizeof(float);
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  for (int64_t i = 0; i < n; ++i) x[i] = cpu::fast_exp(x[i] - m);
  V acc{}, xv;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    std::memcpy(&xv, x + i, sizeof(V));
    acc += xv;
  }
  float sum = sum_lanes(acc);
  for (; i < n; ++i) sum += x[i];
  const float inv = 1.f / sum;
  for (int64_t j = 0; j < n; ++j) x[j] *= inv;
}

template <typename V>
inline __attribute__((always_inline)) void attend_one_impl(const float* q, const float* k, const float* v, int64_t ld,
                                                           int64_t length, int64_t head_dim, float* scores,
                                                           float* out) {
  for (int64_t t = 0; t < length; ++t) scores[t] = dot<V>(q, k + t * ld, head_dim);
  softmax_in_place<V>(scores, length);
  std::fill(out, out + head_dim, 0.f);
  for (int64_t t = 0; t < length; ++t) {
    const float p = scores[t];
    const float* vt = v + t * ld;
    for (int64_t j = 0; j < head_dim; ++j) out[j] += p * vt[j];
  }
}

// An AVX2/FMA build picked at run time, as the gemm kernel does; the default one runs anywhere.
__attribute__((target("avx2,fma"))) void attend_one_avx2(const float* q, const float* k, const float* v, int64_t ld,
                                                          int64_t length, int64_t head_dim, float* scores,
                                                          float* out) {
  attend_one_impl<Vec8>(q, k, v, ld, length, head_dim, scores, out);
}

void attend_one_default(const float* q, const float* k, const float* v, int64_t ld, int64_t length, int64_t head_dim,
                        float* scores, float* out) {
  attend_one_impl<Vec4>(q, k, v, ld, length, head_dim, scores, out);
}

using AttendFn = void (*)(const float*, const float*, const float*, int64_t, int64_t, int64_t, float*, float*);

AttendFn pick_attend_fn() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return attend_one_avx2;
#endif
  return attend_one_default;
}

const AttendFn kAttendFn = pick_attend_fn();

}  // namespace

void full_attention(const float* q, const float* k, const float* v, float* out, int64_t windows, int64_t frames,
                    int64_t heads, int64_t head_dim, ThreadPool* pool) {
  const int64_t d = heads * head_dim, blocks = (frames + kQueryBlock - 1) / kQueryBlock;
  cpu::maybe_parallel(pool, windows * heads * blocks, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> scores(static_cast<size_t>(std::min(kQueryBlock, frames) * frames));  // (block, frames)
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t w = t / (heads * blocks), h = (t / blocks) % heads, i0 = (t % blocks) * kQueryBlock;
      const int64_t rows = std::min(kQueryBlock, frames - i0);
      const int64_t window = w * frames * d, col = h * head_dim;
      cpu::gemm_f32(false, true, rows, frames, head_dim, 1.f, q + window + i0 * d + col, d, k + window + col, d, 0.f,
                    scores.data(), frames, nullptr);
      for (int64_t r = 0; r < rows; ++r) softmax_in_place<Vec4>(scores.data() + r * frames, frames);
      cpu::gemm_f32(false, false, rows, head_dim, frames, 1.f, scores.data(), frames, v + window + col, d, 0.f,
                    out + window + i0 * d + col, d, nullptr);
    }
  });
}

void attend_one(const float* q, const float* k, const float* v, int64_t ld, int64_t length, int64_t head_dim,
                float* scores, float* out) {
  kAttendFn(q, k, v, ld, length, head_dim, scores, out);
}

}  // namespace lre::asr
