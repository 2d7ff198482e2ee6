// Pad: output coordinates map back into the input with the mode's border rule (the arithmetic of
// map_coord in src/kernels/cpu/pad.cc). Runs of dimensions that are neither padded nor cropped merge
// first (padding H and W of NCHW indexes three dimensions); long rows are then mapped once a row.
#include <cstring>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/pad.cuh"

namespace lre::cuda {

namespace {

// Merged dimensions, innermost first.
struct PadDims {
  int rank = 0;
  int64_t out[kMaxBroadcastDims] = {};
  int64_t in[kMaxBroadcastDims] = {};
  int64_t begin[kMaxBroadcastDims] = {};
  int64_t in_stride[kMaxBroadcastDims] = {};
};

// Input coordinate for position c of an axis of n elements (c may lie outside [0, n)); -1 where
// the constant applies.
template <PadMode kMode>
__device__ __forceinline__ int64_t map_coord(int64_t c, int64_t n) {
  if (c >= 0 && c < n) return c;
  if constexpr (kMode == PadMode::Constant) {
    return -1;
  } else if constexpr (kMode == PadMode::Edge) {
    return c < 0 ? 0 : n - 1;
  } else if constexpr (kMode == PadMode::Wrap) {
    return (c % n + n) % n;
  } else {
    static_assert(kMode == PadMode::Reflect);
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    c = (c % period + period) % period;
    return c < n ? c : period - c;
  }
}

template <PadMode kMode, typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) pad_kernel(const T* x, T* y, Index n, PadDims p, T value) {
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) {
    Index rem = i;
    int64_t off = 0;
    bool inside = true;
#pragma unroll
    for (int d = 0; d < kMaxBroadcastDims; ++d) {
      if (d == p.rank) break;
      const Index size = static_cast<Index>(p.out[d]);
      const int64_t c = map_coord<kMode>(static_cast<int64_t>(rem % size) - p.begin[d], p.in[d]);
      rem /= size;
      if (c < 0) inside = false;
      off += c * p.in_stride[d];
    }
    y[i] = inside ? x[off] : value;
  }
}

// Rows along the innermost merged dimension: a row is mapped to its input row (or found to lie in
// the constant border) once, and each element then maps only its own column. Blocks are (threads
// per row, rows per block), as in the strided copy's row kernel.
template <PadMode kMode, typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) pad_rows_kernel(const T* x, T* y, Index rows, PadDims p, T value) {
  const Index cols = static_cast<Index>(p.out[0]);
  const Index col_first = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index col_step = static_cast<Index>(gridDim.x) * blockDim.x;
  const Index row_step = static_cast<Index>(gridDim.y) * blockDim.y;
  for (Index r = static_cast<Index>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    Index rem = r;
    int64_t off = 0;
    bool inside = true;
#pragma unroll
    for (int d = 1; d < kMaxBroadcastDims; ++d) {
      if (d == p.rank) break;
      const Index size = static_cast<Index>(p.out[d]);
      const int64_t c = map_coord<kMode>(static_cast<int64_t>(rem % size) - p.begin[d], p.in[d]);
      rem /= size;
      if (c < 0) inside = false;
      off += c * p.in_stride[d];
    }
    T* dst = y + static_cast<int64_t>(r) * cols;
    for (Index j = col_first; j < cols; j += col_step) {
      const int64_t c = map_coord<kMode>(static_cast<int64_t>(j) - p.begin[0], p.in[0]);
      dst[j] = inside && c >= 0 ? x[off + c * p.in_stride[0]] : value;
    }
  }
}

// Drops dimensions of size 1 that are not padded and merges runs of adjacent unpadded dimensions,
// which map every output coordinate to the same input coordinate.
PadDims merge_dims(std::span<const int64_t> x_shape, std::span<const int64_t> begin, std::span<const int64_t> y_shape,
                   bool& all_plain) {
  PadDims p;
  all_plain = true;
  bool last_plain = false;
  int64_t stride = 1;
  for (size_t i = x_shape.size(); i-- > 0;) {
    const bool plain = begin[i] == 0 && x_shape[i] == y_shape[i];
    all_plain = all_plain && plain;
    const int64_t in_stride = stride;
    stride *= x_shape[i];
    if (plain && x_shape[i] == 1) continue;
    if (plain && last_plain) {
      p.out[p.rank - 1] *= y_shape[i];
      p.in[p.rank - 1] *= x_shape[i];
      continue;
    }
    if (p.rank == kMaxBroadcastDims) fail_rank("launch_pad", kMaxBroadcastDims);
    p.out[p.rank] = y_shape[i];
    p.in[p.rank] = x_shape[i];
    p.begin[p.rank] = begin[i];
    p.in_stride[p.rank] = in_stride;
    ++p.rank;
    last_plain = plain;
  }
  return p;
}

// Rows of 32 or more elements go by rows; shorter ones element by element, so lanes are not idle.
template <PadMode kMode, typename T>
void launch_pad_typed(const void* x, void* y, int64_t n, const PadDims& p, T value, cudaStream_t stream) {
  const T* xt = static_cast<const T*>(x);
  T* yt = static_cast<T*>(y);
  dispatch_index(n, [&]<typename Index>() {
    if (p.out[0] >= 32) {
      const int64_t rows = n / p.out[0];
      const RowsLaunch launch = rows_launch(rows, p.out[0], 4, 32);
      pad_rows_kernel<kMode, T, Index>
          <<<launch.grid, launch.block, 0, stream>>>(xt, yt, static_cast<Index>(rows), p, value);
    } else {
      pad_kernel<kMode, T, Index><<<grid_for(n), kBlockThreads, 0, stream>>>(xt, yt, static_cast<Index>(n), p, value);
    }
    LRE_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace

void launch_pad(size_t elem_bytes, PadMode mode, const void* x, std::span<const int64_t> x_shape,
                std::span<const int64_t> pads_begin, void* y, std::span<const int64_t> y_shape,
                const void* constant_value, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_pad";
  check_element_bytes(elem_bytes, kWhat);
  const size_t rank = x_shape.size();
  if (pads_begin.size() != rank || y_shape.size() != rank)
    fail_argument(kWhat, "pads_begin " + shape_str(pads_begin) + " and output shape " + shape_str(y_shape) +
                             " must have one entry per dimension of " + shape_str(x_shape));
  for (size_t d = 0; d < rank; ++d)
    if (x_shape[d] < 0 || y_shape[d] < 0)
      fail_argument(kWhat, "negative dimension in " + shape_str(x_shape) + " or " + shape_str(y_shape));
  const int64_t n = element_count(y_shape);
  if (n == 0) return;
  if (mode == PadMode::Constant && !constant_value) fail_argument(kWhat, "constant mode without a constant value");
  if (mode != PadMode::Constant && element_count(x_shape) == 0)
    fail_argument(kWhat, "cannot pad the empty input " + shape_str(x_shape) + " to " + shape_str(y_shape) +
                             " in a mode other than constant");
  bool all_plain = false;
  const PadDims p = merge_dims(x_shape, pads_begin, y_shape, all_plain);
  if (all_plain) {
    LRE_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<size_t>(n) * elem_bytes, cudaMemcpyDeviceToDevice, stream));
    return;
  }
  dispatch_element_bytes(elem_bytes, kWhat, [&]<typename T>() {
    T value{};
    if (mode == PadMode::Constant) std::memcpy(&value, constant_value, sizeof(T));
    switch (mode) {
      case PadMode::Constant: launch_pad_typed<PadMode::Constant, T>(x, y, n, p, value, stream); return;
      case PadMode::Reflect: launch_pad_typed<PadMode::Reflect, T>(x, y, n, p, value, stream); return;
      case PadMode::Edge: launch_pad_typed<PadMode::Edge, T>(x, y, n, p, value, stream); return;
      case PadMode::Wrap: launch_pad_typed<PadMode::Wrap, T>(x, y, n, p, value, stream); return;
    }
    fail_argument(kWhat, "unknown pad mode");
  });
}

}  // namespace lre::cuda
