// Blocked SGEMM in the GotoBLAS shape: B is packed into KC x NR slivers, alpha*A into MR x KC
// slivers, and a register-blocked micro-kernel written as plain fixed-size loops (g++ vectorises
// them) does MR x NR outer products. An AVX2/FMA build of the whole driver is picked at run time;
// the default build serves any x86-64 (or other) CPU. Threads take disjoint tiles of C.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>

namespace lre::cpu {

namespace {

// Cache blocking: an A block (MC x KC) stays in L2, a B sliver (KC x NR) in L1, the B panel
// (KC x NC) in L3.
constexpr int64_t kKc = 256;
constexpr int64_t kMc = 144;
constexpr int64_t kNc = 2048;

struct GemmArgs {
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

Buffer alloc_floats(int64_t count) {
  size_t bytes = (static_cast<size_t>(count) * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64)));
  if (!p) throw std::bad_alloc();
  return Buffer(p);
}

// alpha * op(A)[i0:i0+mc, p0:p0+kc] into MR-row slivers, p-major inside a sliver; rows past the
// matrix are zero (their results are discarded, so they cannot pollute real elements).
template <int MR>
inline __attribute__((always_inline)) void pack_a(const GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                                                  float* __restrict dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int64_t rows = std::min<int64_t>(MR, mc - ir);
    float* d = dst + ir * kc;
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t i = 0; i < rows; ++i) {
        int64_t row = i0 + ir + i, col = p0 + p;
        d[p * MR + i] = g.alpha * (g.trans_a ? g.a[col * g.lda + row] : g.a[row * g.lda + col]);
      }
      for (int64_t i = rows; i < MR; ++i) d[p * MR + i] = 0.f;
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] into NR-column slivers, p-major inside a sliver, zero-padded.
template <int NR>
inline __attribute__((always_inline)) void pack_b(const GemmArgs& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                                  float* __restrict dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t cols = std::min<int64_t>(NR, nc - jr);
    float* d = dst + jr * kc;
    if (!g.trans_b && cols == NR) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = g.b + (p0 + p) * g.ldb + j0 + jr;
        for (int j = 0; j < NR; ++j) d[p * NR + j] = src[j];
      }
      continue;
    }
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t j = 0; j < cols; ++j) {
        int64_t row = p0 + p, col = j0 + jr + j;
        d[p * NR + j] = g.trans_b ? g.b[col * g.ldb + row] : g.b[row * g.ldb + col];
      }
      for (int64_t j = cols; j < NR; ++j) d[p * NR + j] = 0.f;
    }
  }
}

// GCC generic vectors: the AVX2 build turns them into ymm FMAs, the default build into SSE pairs,
// with no intrinsics and no -march flag.
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));

// acc = A_sliver * B_sliver over kc, NR = NV vectors of V. The accumulators live in registers
// (indexed by constants only) and leave through `out` (MR x NR) once.
template <int MR, int NV, typename V>
inline __attribute__((always_inline)) void micro_kernel(int64_t kc, const float* __restrict a,
                                                        const float* __restrict b, float* __restrict out) {
  constexpr int kLanes = sizeof(V) / sizeof(float);
  V acc[MR][NV] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* ap = a + p * MR;
    V bv[NV];
    for (int j = 0; j < NV; ++j) __builtin_memcpy(&bv[j], b + (p * NV + j) * kLanes, sizeof(V));
    for (int i = 0; i < MR; ++i) {
      V av = ap[i] - V{};  // broadcast; x - 0 is exactly x for every x, NaN and -0 included
      for (int j = 0; j < NV; ++j) acc[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NV; ++j) __builtin_memcpy(out + (i * NV + j) * kLanes, &acc[i][j], sizeof(V));
}

// C = acc (+ beta*C on the first k block, + C after it) for the rows x cols that exist.
template <int MR, int NR>
inline __attribute__((always_inline)) void store_tile(const float* __restrict acc, float* __restrict c, int64_t ldc,
                                                      int64_t rows, int64_t cols, bool first, float beta) {
  for (int64_t i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    const float* ai = acc + i * NR;
    if (!first) {
      for (int64_t j = 0; j < cols; ++j) ci[j] += ai[j];
    } else if (beta == 0.f) {
      for (int64_t j = 0; j < cols; ++j) ci[j] = ai[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) ci[j] = ai[j] + beta * ci[j];
    }
  }
}

// C[i0:i1, j0:j1] over the whole k range. Buffers are per call, so tiles run on any thread.
template <int MR, int NV, typename V>
inline __attribute__((always_inline)) void gemm_tile(const GemmArgs& g, int64_t i0, int64_t i1, int64_t j0,
                                                     int64_t j1) {
  constexpr int NR = NV * static_cast<int>(sizeof(V) / sizeof(float));
  int64_t kc_max = std::min(kKc, g.k);
  int64_t nc_max = std::min(kNc, (j1 - j0 + NR - 1) / NR * NR);
  int64_t mc_max = std::min(kMc, (i1 - i0 + MR - 1) / MR * MR);
  Buffer bp = alloc_floats(kc_max * nc_max);
  Buffer ap = alloc_floats(kc_max * mc_max);
  for (int64_t jc = j0; jc < j1; jc += kNc) {
    int64_t nc = std::min(kNc, j1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += kKc) {
      int64_t kc = std::min(kKc, g.k - pc);
      bool first = pc == 0;
      pack_b<NR>(g, pc, kc, jc, nc, bp.get());
      for (int64_t ic = i0; ic < i1; ic += kMc) {
        int64_t mc = std::min(kMc, i1 - ic);
        pack_a<MR>(g, ic, mc, pc, kc, ap.get());
        for (int64_t jr = 0; jr < nc; jr += NR) {
          for (int64_t ir = 0; ir < mc; ir += MR) {
            alignas(64) float acc[MR * NR];
            micro_kernel<MR, NV, V>(kc, ap.get() + ir * kc, bp.get() + jr * kc, acc);
            store_tile<MR, NR>(acc, g.c + (ic + ir) * g.ldc + jc + jr, g.ldc, std::min<int64_t>(MR, mc - ir),
                               std::min<int64_t>(NR, nc - jr), first, g.beta);
          }
        }
      }
    }
  }
}

// 6x16 uses 12 of the 16 ymm registers for accumulators; the SSE build gets a 4x8 tile so its
// 8 accumulators fit the 16 xmm registers.
__attribute__((target("avx2,fma"))) void gemm_tile_avx2(const GemmArgs& g, int64_t i0, int64_t i1, int64_t j0,
                                                         int64_t j1) {
  gemm_tile<6, 2, Vec8>(g, i0, i1, j0, j1);
}

void gemm_tile_default(const GemmArgs& g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  gemm_tile<4, 2, Vec4>(g, i0, i1, j0, j1);
}

using TileFn = void (*)(const GemmArgs&, int64_t, int64_t, int64_t, int64_t);

TileFn pick_tile_fn() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return gemm_tile_avx2;
#endif
  return gemm_tile_default;
}

const TileFn kTileFn = pick_tile_fn();

// C = beta * C for the k == 0 or alpha == 0 cases, where no product is formed.
void scale_c(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* ci = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) ci[j] = g.beta == 0.f ? 0.f : g.beta * ci[j];
  }
}

}  // namespace

void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool) {
  if (m <= 0 || n <= 0) return;
  GemmArgs g{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  if (k <= 0 || alpha == 0.f) {
    scale_c(g);
    return;
  }
  // Below ~1 MFLOP a thread hand-off costs more than it saves.
  int threads = pool ? pool->size() : 1;
  if (threads > 1 && static_cast<double>(m) * n * k < 5e5) threads = 1;
  if (threads == 1) {
    kTileFn(g, 0, m, 0, n);
    return;
  }
  // Split rows first (each tile re-packs its B columns, which is cheap next to its products),
  // and columns only when there are too few rows to go round.
  int64_t row_units = (m + 5) / 6, col_units = (n + 15) / 16;
  int64_t tr = std::min<int64_t>(threads, row_units);
  int64_t tc = std::min<int64_t>((threads + tr - 1) / tr, col_units);
  int64_t rows_per = (row_units + tr - 1) / tr * 6, cols_per = (col_units + tc - 1) / tc * 16;
  tr = (m + rows_per - 1) / rows_per;
  tc = (n + cols_per - 1) / cols_per;
  pool->parallel_for(tr * tc, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t i0 = (t / tc) * rows_per, j0 = (t % tc) * cols_per;
      kTileFn(g, i0, std::min(m, i0 + rows_per), j0, std::min(n, j0 + cols_per));
    }
  });
}

}  // namespace lre::cpu
