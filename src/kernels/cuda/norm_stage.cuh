// Staging of a fused layer norm's output in shared memory, for kernels whose prologue normalises
// their input rows themselves (no normalised copy written to global memory): every row's
// statistics reduced by the whole block at once (a warp alone would leave the others idle for a
// serial walk over the row), then the rows normalised and rounded to T, as a separate norm kernel
// would store them. Include only from .cu files.
#pragma once

#include <cstdint>

#include "kernels/cuda/device_types.cuh"

namespace lre::cuda {

// staged (R, in) of T = layer_norm(residual (R, in) float32) * gamma + beta, gamma and beta (in)
// already in shared memory (made visible by this function's first barrier). Called by every
// thread of a one-dimensional block of kThreads; in a multiple of T's 16-byte vector width; ends
// with a barrier, so staged is ready. Single pass over values less the row's first one, so a large
// common offset does not cancel the variance away in float32.
template <typename T, int R, int kThreads>
__device__ __forceinline__ void stage_normalised_rows(const float* __restrict__ residual, const T* gamma,
                                                      const T* beta, int64_t in, float eps, T* staged) {
  constexpr int kVec = kVecWidth<T>;
  constexpr int kWarps = kThreads / 32;
  using P = Pack<T, kVec>;
  const int t = static_cast<int>(threadIdx.x), lane = t % 32, warp = t / 32;
  __shared__ float partial_stats[2][R][kWarps];
  __shared__ float mean[R], inv_std[R];
  float shift[R], sum[R], sq[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    shift[r] = residual[r * in];
    sum[r] = sq[r] = 0.f;
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
#pragma unroll 4
    for (int64_t i = t; i < in; i += kThreads) {
      const float v = residual[r * in + i] - shift[r];
      sum[r] += v;
      sq[r] += v * v;
    }
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
    for (int offset = 16; offset > 0; offset /= 2) {
      sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], offset);
      sq[r] += __shfl_xor_sync(0xffffffffu, sq[r], offset);
    }
    if (lane == 0) {
      partial_stats[0][r][warp] = sum[r];
      partial_stats[1][r][warp] = sq[r];
    }
  }
  __syncthreads();  // also publishes the caller's gamma and beta
  if (t < R) {
    float s = 0.f, q = 0.f;
    for (int k = 0; k < kWarps; ++k) {
      s += partial_stats[0][t][k];
      q += partial_stats[1][t][k];
    }
    const float m = s / static_cast<float>(in);
    mean[t] = shift[t] + m;
    inv_std[t] = 1.f / sqrtf(fmaxf(q / static_cast<float>(in) - m * m, 0.f) + eps);
  }
  __syncthreads();
  const int packs = static_cast<int>(in / kVec);
  for (int idx = t; idx < R * packs; idx += kThreads) {
    const int r = idx / packs, p = idx % packs;
    const P gp = reinterpret_cast<const P*>(gamma)[p], bp = reinterpret_cast<const P*>(beta)[p];
    const float* res = residual + r * in + p * kVec;
    P xp;
#pragma unroll
    for (int j = 0; j < kVec; ++j)
      xp.v[j] = from_float<T>((res[j] - mean[r]) * inv_std[r] * to_float(gp.v[j]) + to_float(bp.v[j]));
    reinterpret_cast<P*>(staged + r * in)[p] = xp;
  }
  __syncthreads();
}

}  // namespace lre::cuda
