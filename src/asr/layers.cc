// Linear, layer norm and GELU for the Whisper CPU path, on the shared CPU kernels (gemm, layer
// norm) so the model gets their vectorisation and threading. A decode step has only a few rows:
// there Linear takes dot products along W's stored rows instead, since a gemm would first pack all
// of W (for the vocabulary projection, tens of megabytes) to use it for a handful of products.
#include "asr/layers.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/maybe_parallel.h"
#include "kernels/cpu/normalization.h"

namespace lre::asr {

namespace {

// Up to this many rows take the dot-product path; 8 accumulators and a W vector fit the 16 ymm
// registers.
constexpr int64_t kFewRows = 8;

typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));

// out[r] = x[r] . w for R rows of x (R, in): each vector of w is loaded once for all rows.
template <int R, typename V>
inline __attribute__((always_inline)) void dot_rows(const float* x, int64_t in, const float* w, float* out) {
  constexpr int kLanes = sizeof(V) / sizeof(float);
  V acc[R] = {};
  int64_t i = 0;
  for (; i + kLanes <= in; i += kLanes) {
    V wv;
    std::memcpy(&wv, w + i, sizeof(V));
    for (int r = 0; r < R; ++r) {
      V xv;
      std::memcpy(&xv, x + r * in + i, sizeof(V));
      acc[r] += xv * wv;
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = 0.f;
    for (int j = 0; j < kLanes; ++j) s += acc[r][j];
    for (int64_t t = i; t < in; ++t) s += x[r * in + t] * w[t];
    out[r] = s;
  }
}

// y[:, o0:o1] of y (rows, out) = alpha * x (rows, in) W[o0:o1]^T (+ y), rows <= kFewRows.
template <typename V>
inline __attribute__((always_inline)) void few_rows_tile(const float* x, int64_t rows, int64_t in, const float* w,
                                                         int64_t o0, int64_t o1, float* y, int64_t out, float alpha,
                                                         bool accumulate) {
  float dots[kFewRows];
  for (int64_t o = o0; o < o1; ++o) {
    const float* wo = w + o * in;
    switch (rows) {
      case 1: dot_rows<1, V>(x, in, wo, dots); break;
      case 2: dot_rows<2, V>(x, in, wo, dots); break;
      case 3: dot_rows<3, V>(x, in, wo, dots); break;
      case 4: dot_rows<4, V>(x, in, wo, dots); break;
      case 5: dot_rows<5, V>(x, in, wo, dots); break;
      case 6: dot_rows<6, V>(x, in, wo, dots); break;
      case 7: dot_rows<7, V>(x, in, wo, dots); break;
      default: dot_rows<8, V>(x, in, wo, dots); break;
    }
    for (int64_t r = 0; r < rows; ++r) {
      float& yr = y[r * out + o];
      yr = accumulate ? yr + alpha * dots[r] : alpha * dots[r];
    }
  }
}

// An AVX2/FMA build picked at run time, as the gemm kernel does; the default one runs anywhere.
__attribute__((target("avx2,fma"))) void few_rows_tile_avx2(const float* x, int64_t rows, int64_t in, const float* w,
                                                             int64_t o0, int64_t o1, float* y, int64_t out,
                                                             float alpha, bool accumulate) {
  few_rows_tile<Vec8>(x, rows, in, w, o0, o1, y, out, alpha, accumulate);
}

void few_rows_tile_default(const float* x, int64_t rows, int64_t in, const float* w, int64_t o0, int64_t o1, float* y,
                           int64_t out, float alpha, bool accumulate) {
  few_rows_tile<Vec4>(x, rows, in, w, o0, o1, y, out, alpha, accumulate);
}

using FewRowsFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t, float,
                           bool);

FewRowsFn pick_few_rows_fn() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return few_rows_tile_avx2;
#endif
  return few_rows_tile_default;
}

const FewRowsFn kFewRowsFn = pick_few_rows_fn();

}  // namespace

void linear(const float* x, int64_t rows, const Linear& l, float* y, ThreadPool* pool, float alpha, bool accumulate) {
  const int64_t out = l.out(), in = l.in();
  if (rows <= 0) return;
  const float* w = l.weight.data<float>();
  if (rows <= kFewRows) {
    // Chunks of at least ~64k multiply-adds: below that a thread hand-off costs more than it saves.
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / (rows * in));
    cpu::maybe_parallel(out * rows * in < (int64_t{1} << 17) ? nullptr : pool, out, grain,
                        [&](int64_t o0, int64_t o1) { kFewRowsFn(x, rows, in, w, o0, o1, y, out, alpha, accumulate); });
  } else {
    // HF stores W as (out, in), which is exactly op(B) = W^T for a row-major x.
    cpu::gemm_f32(false, true, rows, out, in, alpha, x, in, w, in, accumulate ? 1.f : 0.f, y, out, pool);
  }
  if (!l.bias.defined()) return;
  const float* b = l.bias.data<float>();
  cpu::maybe_parallel(pool, rows, (1 << 14) / out + 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* yr = y + r * out;
      for (int64_t j = 0; j < out; ++j) yr[j] += alpha * b[j];
    }
  });
}

void layer_norm(const float* x, int64_t rows, int64_t d, const LayerNormWeights& ln, float eps, float* y,
                ThreadPool* pool) {
  cpu::layer_norm<float, float>(x, y, rows, d, ln.weight.data<float>(), ln.bias.data<float>(), eps, nullptr, nullptr,
                                pool);
}

void gelu(float* x, int64_t n, ThreadPool* pool) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  cpu::maybe_parallel(pool, n, 1 << 14, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) x[i] = 0.5f * x[i] * (1.f + std::erf(x[i] * kInvSqrt2));
  });
}

}  // namespace lre::asr
