// Where: the three inputs' dimensions are merged as in the element-wise kernels (adjacent dimensions
// that every input walks contiguously, or broadcasts along, together). One merged dimension needs
// no index division; more decompose each output index with strides passed by value.
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/where.cuh"

namespace lre::cuda {

namespace {

constexpr int kOperands = 3;  // cond, x, y

// Merged dimensions, innermost first, with each operand's element stride (0 where it broadcasts).
struct WhereStrides {
  int rank = 0;
  int64_t dims[kMaxBroadcastDims] = {};
  int64_t stride[kOperands][kMaxBroadcastDims] = {};
};

// A single merged dimension: every stride is 1 (walks) or 0 (a broadcast scalar).
template <typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) where_flat_kernel(const bool* cond, const T* x, const T* y, T* out,
                                                                   Index n, int64_t sc, int64_t sx, int64_t sy) {
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) {
    const int64_t k = static_cast<int64_t>(i);
    out[i] = cond[k * sc] ? x[k * sx] : y[k * sy];
  }
}

template <typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) where_kernel(const bool* cond, const T* x, const T* y, T* out,
                                                              Index n, WhereStrides s) {
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) {
    Index rem = i;
    int64_t oc = 0, ox = 0, oy = 0;
#pragma unroll
    for (int d = 0; d < kMaxBroadcastDims; ++d) {
      if (d == s.rank) break;
      const Index size = static_cast<Index>(s.dims[d]);
      const int64_t idx = static_cast<int64_t>(rem % size);
      rem /= size;
      oc += idx * s.stride[0][d];
      ox += idx * s.stride[1][d];
      oy += idx * s.stride[2][d];
    }
    out[i] = cond[oc] ? x[ox] : y[oy];
  }
}

// Right-aligns the inputs against the output, checks that they broadcast to it, and merges
// adjacent dimensions that every input walks contiguously or broadcasts along together.
WhereStrides coalesce(const std::span<const int64_t> (&in)[kOperands], std::span<const int64_t> out) {
  constexpr const char* kWhat = "launch_where";
  const size_t rank = out.size();
  auto fail_shapes = [&](const std::string& why) {
    fail_argument(kWhat, "condition " + shape_str(in[0]) + ", x " + shape_str(in[1]) + " and y " + shape_str(in[2]) +
                             " with output " + shape_str(out) + ": " + why);
  };
  if (rank > 64) fail_shapes("more than 64 dimensions");
  int64_t full[kOperands][64] = {};
  for (int k = 0; k < kOperands; ++k) {
    if (in[k].size() > rank) fail_shapes("an input has more dimensions than the output");
    int64_t acc = 1;
    for (size_t i = in[k].size(); i-- > 0;) {
      const size_t o = rank - in[k].size() + i;
      if (in[k][i] != out[o] && in[k][i] != 1) fail_shapes("they do not broadcast to the output");
      full[k][o] = in[k][i] == 1 ? 0 : acc;
      acc *= in[k][i];
    }
  }
  WhereStrides s;
  for (size_t i = rank; i-- > 0;) {
    if (out[i] == 1) continue;
    if (s.rank > 0) {
      const int last = s.rank - 1;
      bool mergeable = true;
      for (int k = 0; k < kOperands; ++k) {
        const int64_t inner = s.stride[k][last];
        if (full[k][i] != inner * s.dims[last] && !(full[k][i] == 0 && inner == 0)) mergeable = false;
      }
      if (mergeable) {
        s.dims[last] *= out[i];
        continue;
      }
    }
    if (s.rank == kMaxBroadcastDims) fail_rank(kWhat, kMaxBroadcastDims);
    s.dims[s.rank] = out[i];
    for (int k = 0; k < kOperands; ++k) s.stride[k][s.rank] = full[k][i];
    ++s.rank;
  }
  if (s.rank == 0) {  // every dimension is 1: one element
    s.rank = 1;
    s.dims[0] = 1;
  }
  return s;
}

}  // namespace

void launch_where(size_t elem_bytes, const bool* cond, std::span<const int64_t> cond_shape, const void* x,
                  std::span<const int64_t> x_shape, const void* y_in, std::span<const int64_t> y_shape, void* out,
                  std::span<const int64_t> out_shape, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_where";
  check_element_bytes(elem_bytes, kWhat);
  const std::span<const int64_t> inputs[kOperands] = {cond_shape, x_shape, y_shape};
  const WhereStrides s = coalesce(inputs, out_shape);
  const int64_t n = element_count(out_shape);
  if (n <= 0) return;
  dispatch_element_bytes(elem_bytes, kWhat, [&]<typename T>() {
    dispatch_index(n, [&]<typename Index>() {
      const T* xt = static_cast<const T*>(x);
      const T* yt = static_cast<const T*>(y_in);
      T* ot = static_cast<T*>(out);
      if (s.rank == 1)
        where_flat_kernel<T, Index><<<grid_for(n), kBlockThreads, 0, stream>>>(
            cond, xt, yt, ot, static_cast<Index>(n), s.stride[0][0], s.stride[1][0], s.stride[2][0]);
      else
        where_kernel<T, Index><<<grid_for(n), kBlockThreads, 0, stream>>>(cond, xt, yt, ot, static_cast<Index>(n), s);
      LRE_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace lre::cuda
