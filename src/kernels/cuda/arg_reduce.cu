// ArgMax and ArgMin kernels along the middle axis of (outer, n, inner): contiguous rows go a warp
// or a block per row with 16-byte loads (a vocabulary row for greedy decoding is one block),
// strided axes to column tiles with the axis split over the block's rows. Candidates merge under
// a rule that makes any merge order give what the CPU's front-to-back scan gives.
#include <algorithm>
#include <string>
#include <utility>

#include <cuda/std/type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/reduce.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

template <typename T> constexpr bool kIntegral = ::cuda::std::is_integral_v<T>;

// The value arithmetic is done in: float for the float types, the type itself for integers.
template <typename T> using ArgValue = ::cuda::std::conditional_t<kIntegral<T>, T, float>;

template <typename T>
__device__ __forceinline__ ArgValue<T> arg_value(T v) {
  if constexpr (kIntegral<T>) return v;
  else return to_float(v);
}

// A candidate: value and index; index -1 is "none yet".
template <typename V>
struct ArgBest {
  V v;
  int64_t i;
};

// The better of two candidates, so that merging in any order gives what a front-to-back scan
// gives: NaN beats numbers and the first NaN wins; equal values go to the lower index, or to the
// higher one with kLast.
template <typename V, bool kMax, bool kLast>
struct ArgMerge {
  __device__ __forceinline__ ArgBest<V> operator()(ArgBest<V> a, ArgBest<V> b) const {
    if (b.i < 0) return a;
    if (a.i < 0) return b;
    if constexpr (!kIntegral<V>) {
      const bool a_nan = isnan(a.v), b_nan = isnan(b.v);
      if (a_nan && b_nan) return a.i < b.i ? a : b;
      if (a_nan || b_nan) return a_nan ? a : b;
    }
    if (a.v == b.v) return (kLast ? a.i > b.i : a.i < b.i) ? a : b;
    return (kMax ? a.v > b.v : a.v < b.v) ? a : b;
  }
};

// inner == 1: one warp (blockDim (32, rows per block)) or one block per row.
template <typename T, bool kMax, bool kLast>
__global__ void __launch_bounds__(1024) arg_reduce_rows_kernel(const T* x, int64_t* y, int64_t rows, int64_t n) {
  using V = ArgValue<T>;
  using M = ArgMerge<V, kMax, kLast>;
  __shared__ ArgBest<V> shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), group = static_cast<int>(blockDim.x);
  const int64_t row_step = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    ArgBest<V> best{V(0), -1};
    for_each_in_row(x + r * n, n, t, group, [&](T v, int64_t k) { best = M{}(best, ArgBest<V>{arg_value(v), k}); });
    best = group_reduce(best, M{}, ArgBest<V>{V(0), -1}, shared);
    if (t == 0) y[r] = best.i;
  }
}

// inner > 1: column tiles with the axis split over the block's rows, as reduce_columns_kernel.
template <typename T, bool kMax, bool kLast>
__global__ void __launch_bounds__(kBlockThreads) arg_reduce_columns_kernel(const T* x, int64_t* y, int64_t outer,
                                                                           int64_t n, int64_t inner,
                                                                           int64_t tiles_per_slice) {
  using V = ArgValue<T>;
  using M = ArgMerge<V, kMax, kLast>;
  __shared__ ArgBest<V> part[kBlockThreads];
  const int cols = static_cast<int>(blockDim.x), splits = static_cast<int>(blockDim.y);
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t tiles = outer * tiles_per_slice;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t o = tile / tiles_per_slice;
    const int64_t j = (tile % tiles_per_slice) * cols + tx;
    const bool active = j < inner;
    const T* xs = x + o * n * inner + j;
    ArgBest<V> best{V(0), -1};
    if (active)
      for (int64_t k = ty; k < n; k += splits) best = M{}(best, ArgBest<V>{arg_value(xs[k * inner]), k});
    part[ty * cols + tx] = best;
    __syncthreads();
    for (int half = splits / 2; half > 0; half /= 2) {
      if (ty < half) part[ty * cols + tx] = M{}(part[ty * cols + tx], part[(ty + half) * cols + tx]);
      __syncthreads();
    }
    if (ty == 0 && active) y[o * inner + j] = part[tx].i;
    __syncthreads();  // part[] is rewritten by the next tile
  }
}

template <typename T, bool kMax, bool kLast>
void launch_arg_typed(const void* xv, int64_t outer, int64_t n, int64_t inner, int64_t* y, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  if (inner == 1 && n <= 4096) {
    constexpr int kRowsPerBlock = kBlockThreads / kWarpSize;
    arg_reduce_rows_kernel<T, kMax, kLast>
        <<<grid_for(outer * kWarpSize), dim3(kWarpSize, kRowsPerBlock), 0, stream>>>(x, y, outer, n);
  } else if (inner == 1) {
    const int threads = n <= 16384 ? 256 : n <= 65536 ? 512 : 1024;
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outer, 2 * kMaxBlocks));
    arg_reduce_rows_kernel<T, kMax, kLast><<<grid, threads, 0, stream>>>(x, y, outer, n);
  } else {
    const int cols0 = std::min(kWarpSize, pow2_at_least(inner));
    const int splits = std::min(kBlockThreads / cols0, pow2_at_least(n));
    const int cols = std::min(pow2_at_least(inner), kBlockThreads / splits);
    const int64_t tiles_per_slice = (inner + cols - 1) / cols;
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outer * tiles_per_slice, 2 * kMaxBlocks));
    arg_reduce_columns_kernel<T, kMax, kLast>
        <<<grid, dim3(cols, splits), 0, stream>>>(x, y, outer, n, inner, tiles_per_slice);
  }
  LRE_CUDA_CHECK_LAUNCH();
}

// Calls f.template operator()<T>() with T the device storage type of a dtype the kernels take.
template <typename F> void dispatch_arg_dtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::Int32: f.template operator()<int32_t>(); return;
    case DType::Int64: f.template operator()<int64_t>(); return;
    default: dispatch_device_float(t, what, std::forward<F>(f));
  }
}

}  // namespace

void launch_arg_reduce(bool is_max, DType dtype, const void* x, int64_t outer, int64_t n, int64_t inner,
                       bool select_last_index, int64_t* y, cudaStream_t stream) {
  const char* name = is_max ? "launch_arg_reduce (ArgMax)" : "launch_arg_reduce (ArgMin)";
  if (outer < 0 || n < 0 || inner < 0)
    throw Error(ErrorCode::InvalidArgument, std::string(name) + ": negative size in (" + std::to_string(outer) + ", " +
                                                std::to_string(n) + ", " + std::to_string(inner) + ")");
  if (outer == 0 || inner == 0) return;
  if (n == 0)
    throw Error(ErrorCode::InvalidArgument, std::string(name) + ": the axis is empty, so " + std::to_string(outer * inner) +
                                                " outputs have no element to point at");
  dispatch_arg_dtype(dtype, name, [&]<typename T>() {
    if (is_max && select_last_index) launch_arg_typed<T, true, true>(x, outer, n, inner, y, stream);
    else if (is_max) launch_arg_typed<T, true, false>(x, outer, n, inner, y, stream);
    else if (select_last_index) launch_arg_typed<T, false, true>(x, outer, n, inner, y, stream);
    else launch_arg_typed<T, false, false>(x, outer, n, inner, y, stream);
  });
}

}  // namespace lre::cuda
