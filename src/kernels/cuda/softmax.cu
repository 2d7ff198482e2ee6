// Softmax and LogSoftmax kernels, float32 arithmetic for every float dtype. Contiguous rows
// (inner = 1) of up to 16384 values are held in registers (a warp per row up to 1024, a block per
// row beyond); longer rows (a 51866-wide vocabulary, 100-200 KB) get one block each, a single
// online (max, sum) sweep, then the write sweep, which finds the row in L2. A strided axis
// (inner > 1) gives each block a tile of columns and splits the axis across the block's rows.
#include <algorithm>
#include <cmath>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/softmax.cuh"

namespace lre::cuda {

namespace {

// Running maximum and sum of exp(v - max) of the values seen. Empty is {-inf, 0}; -inf values
// add nothing, NaN makes the sum NaN.
struct MaxSum {
  float m, s;
};

__device__ __forceinline__ MaxSum max_sum_empty() { return {-INFINITY, 0.f}; }

__device__ __forceinline__ void max_sum_add(MaxSum& a, float v) {
  if (v > a.m) {
    a.s = a.s * expf(a.m - v) + 1.f;
    a.m = v;
  } else if (v != -INFINITY) {
    a.s += expf(v - a.m);
  }
}

struct MaxSumMerge {
  __device__ __forceinline__ MaxSum operator()(MaxSum a, MaxSum b) const {
    if (b.m == -INFINITY && b.s == 0.f) return a;
    if (a.m == -INFINITY && a.s == 0.f) return b;
    const float m = fmaxf(a.m, b.m);
    return {m, a.s * expf(a.m - m) + b.s * expf(b.m - m)};
  }
};

struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

// What the write sweep needs: y = exp(x - m) * inv, or x - shift for the log form. A +inf in the
// row makes it NaN throughout, as the CPU's exp(inf - inf) does; an all -inf row gives NaN too.
struct RowScale {
  float m, inv, shift;
};

__device__ __forceinline__ RowScale row_scale(MaxSum a) {
  const float s = a.m == INFINITY ? NAN : a.s;
  return {a.m, 1.f / s, a.m + logf(s)};
}

template <bool kLog>
__device__ __forceinline__ float softmax_out(float v, const RowScale& r) {
  if constexpr (kLog) return v - r.shift;
  else return expf(v - r.m) * r.inv;
}

// Rows of up to kFloats values a thread, kept in registers between the sweeps: the row is read
// once and written once. The group working on a row is a warp (blockDim (32, rows per block)) or
// the whole block (blockDim (threads, 1)); thread t owns the packs t, t + group, ... of the row.
template <typename T, int kVec, int kFloats, bool kLog>
__global__ void __launch_bounds__(kFloats <= 8 ? 1024 : 512)
    softmax_cached_kernel(const T* x, T* y, int64_t rows, int64_t n) {
  constexpr int kPer = kFloats / kVec;
  using P = Pack<T, kVec>;
  __shared__ float shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), group = static_cast<int>(blockDim.x);
  const int64_t packs = n / kVec;
  const int64_t row_step = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    const P* xr = reinterpret_cast<const P*>(x + r * n);
    float v[kPer][kVec];
    float m = -INFINITY;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int64_t p = t + static_cast<int64_t>(i) * group;
      if (p < packs) {
        const P pk = xr[p];
#pragma unroll
        for (int k = 0; k < kVec; ++k) {
          v[i][k] = to_float(pk.v[k]);
          m = fmaxf(m, v[i][k]);
        }
      }
    }
    m = group_reduce(m, MaxOp{}, -INFINITY, shared);
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      if (t + static_cast<int64_t>(i) * group < packs) {
#pragma unroll
        for (int k = 0; k < kVec; ++k) {
          const float e = expf(v[i][k] - m);
          s += e;
          if constexpr (!kLog) v[i][k] = e;
        }
      }
    }
    s = group_reduce(s, SumOp{}, 0.f, shared);
    const float inv = 1.f / s, shift = m + logf(s);
    P* yr = reinterpret_cast<P*>(y + r * n);
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int64_t p = t + static_cast<int64_t>(i) * group;
      if (p < packs) {
        P out;
#pragma unroll
        for (int k = 0; k < kVec; ++k) out.v[k] = from_float<T>(kLog ? v[i][k] - shift : v[i][k] * inv);
        yr[p] = out;
      }
    }
  }
}

// One block per row of any length.
template <typename T, bool kLog>
__global__ void __launch_bounds__(1024) softmax_block_per_row_kernel(const T* x, T* y, int64_t rows, int64_t n) {
  __shared__ MaxSum shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    MaxSum acc = max_sum_empty();
    for_each_in_row(xr, n, t, threads, [&](T v, int64_t) { max_sum_add(acc, to_float(v)); });
    const RowScale rs = row_scale(block_reduce(acc, MaxSumMerge{}, max_sum_empty(), shared));
    map_row(xr, yr, n, t, threads, [&](float v, int64_t) { return softmax_out<kLog>(v, rs); });
  }
}

// (outer, n, inner) with inner > 1. Block (cols, splits): thread (c, s) owns column c of the
// block's tile and the positions s, s + splits, ... of the axis; the splits' partial results are
// merged in shared memory by a tree over s. Columns are contiguous, so each row of a warp reads
// consecutive elements.
template <typename T, bool kLog>
__global__ void __launch_bounds__(kBlockThreads) softmax_strided_kernel(const T* x, T* y, int64_t outer, int64_t n,
                                                                        int64_t inner, int64_t tiles_per_slice) {
  __shared__ MaxSum part[kBlockThreads];
  const int cols = static_cast<int>(blockDim.x), splits = static_cast<int>(blockDim.y);
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t tiles = outer * tiles_per_slice;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t o = tile / tiles_per_slice;
    const int64_t j = (tile % tiles_per_slice) * cols + tx;
    const bool active = j < inner;
    const int64_t base = o * n * inner + j;
    MaxSum acc = max_sum_empty();
    if (active)
      for (int64_t k = ty; k < n; k += splits) max_sum_add(acc, to_float(x[base + k * inner]));
    part[ty * cols + tx] = acc;
    __syncthreads();
    for (int half = splits / 2; half > 0; half /= 2) {
      if (ty < half) part[ty * cols + tx] = MaxSumMerge{}(part[ty * cols + tx], part[(ty + half) * cols + tx]);
      __syncthreads();
    }
    const RowScale rs = row_scale(part[tx]);
    __syncthreads();  // part[] is rewritten by the next tile
    if (active)
      for (int64_t k = ty; k < n; k += splits)
        y[base + k * inner] = from_float<T>(softmax_out<kLog>(to_float(x[base + k * inner]), rs));
  }
}

constexpr int64_t kMaxRowBlocks = 4096;

template <typename T, int kVec, bool kLog>
void launch_cached(const T* x, T* y, int64_t rows, int64_t n, int group, int floats, cudaStream_t stream) {
  const dim3 block = group == kWarpSize ? dim3(kWarpSize, kBlockThreads / kWarpSize) : dim3(group);
  const unsigned grid = group == kWarpSize ? grid_for(rows * kWarpSize)
                                           : static_cast<unsigned>(std::min(rows, kMaxRowBlocks));
  if (floats == 8) softmax_cached_kernel<T, kVec, 8, kLog><<<grid, block, 0, stream>>>(x, y, rows, n);
  else softmax_cached_kernel<T, kVec, 32, kLog><<<grid, block, 0, stream>>>(x, y, rows, n);
  LRE_CUDA_CHECK_LAUNCH();
}

// Rows at most this many are too few to fill the GPU with narrow blocks; they get wide ones,
// which finish each row sooner.
constexpr int64_t kFewRows = 1024;

template <typename T, bool kLog>
void launch_typed(const void* xv, void* yv, int64_t outer, int64_t n, int64_t inner, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  if (inner == 1 && n <= 32 * 512) {
    // A warp per row up to 1024 values, then a block per row: up to 8 values a thread for few
    // rows, up to 32 for many (blocks of 64 to 512 threads, so more rows are in flight).
    int group = kWarpSize, floats = n <= 8 * kWarpSize ? 8 : 32;
    if (n > 32 * kWarpSize && outer < kFewRows && n <= 8 * 1024)
      group = std::clamp(pow2_at_least((n + 7) / 8), 128, 1024), floats = 8;
    else if (n > 32 * kWarpSize)
      group = std::clamp(pow2_at_least((n + 31) / 32), 64, 512), floats = 32;
    constexpr int kVec = kVecWidth<T>;
    switch (row_pack_width<T>(n, {x, y})) {
      case kVec: launch_cached<T, kVec, kLog>(x, y, outer, n, group, floats, stream); break;
      case kVec / 2: launch_cached<T, kVec / 2, kLog>(x, y, outer, n, group, floats, stream); break;
      default: launch_cached<T, 1, kLog>(x, y, outer, n, group, floats, stream); break;
    }
  } else if (inner == 1) {
    // Rows too long for registers (a vocabulary): an online (max, sum) sweep, then the write sweep.
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outer, kMaxBlocks));
    softmax_block_per_row_kernel<T, kLog><<<grid, 1024, 0, stream>>>(x, y, outer, n);
    LRE_CUDA_CHECK_LAUNCH();
  } else {
    const int cols0 = std::min(kWarpSize, pow2_at_least(inner));
    const int splits = std::min(kBlockThreads / cols0, pow2_at_least(n));
    const int cols = std::min(pow2_at_least(inner), kBlockThreads / splits);
    const int64_t tiles_per_slice = (inner + cols - 1) / cols;
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outer * tiles_per_slice, 2 * kMaxBlocks));
    softmax_strided_kernel<T, kLog><<<grid, dim3(cols, splits), 0, stream>>>(x, y, outer, n, inner, tiles_per_slice);
    LRE_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace

void launch_softmax(DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner, bool log,
                    cudaStream_t stream) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  dispatch_device_float(dtype, log ? "launch_softmax (log)" : "launch_softmax", [&]<typename T>() {
    if (log) launch_typed<T, true>(x, y, outer, n, inner, stream);
    else launch_typed<T, false>(x, y, outer, n, inner, stream);
  });
}

}  // namespace lre::cuda
