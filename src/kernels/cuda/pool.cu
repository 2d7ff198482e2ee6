// Max and average pooling kernels: one thread per output element, visiting the window's taps
// in row-major order and skipping those outside the input, as the CPU kernel does, so sums add
// in the same order and agree bit for bit. Geometries of rank 1 and 2 are run as rank 3 with
// leading unit dimensions.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/pool.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

constexpr int kDims = kMaxPoolDims;

// The rank-3 geometry in index type I (int32 when every offset fits, which saves the 64-bit
// divisions that otherwise dominate a small window).
template <typename I>
struct Geometry3 {
  I in[kDims], out[kDims], kernel[kDims], strides[kDims], dilations[kDims], pads_begin[kDims], pads_end[kDims];
};

template <typename I>
Geometry3<I> narrow(const PoolGeometry& g) {
  Geometry3<I> r;
  for (int d = 0; d < kDims; ++d) {
    r.in[d] = static_cast<I>(g.in[d]);
    r.out[d] = static_cast<I>(g.out[d]);
    r.kernel[d] = static_cast<I>(g.kernel[d]);
    r.strides[d] = static_cast<I>(g.strides[d]);
    r.dilations[d] = static_cast<I>(g.dilations[d]);
    r.pads_begin[d] = static_cast<I>(g.pads_begin[d]);
    r.pads_end[d] = static_cast<I>(g.pads_end[d]);
  }
  return r;
}

// Taps of dimension d's window starting at `start` that fall in [lo, hi).
template <typename I>
__device__ __forceinline__ I taps_within(const Geometry3<I>& g, int d, I start, I lo, I hi) {
  I n = 0;
  for (I k = 0; k < g.kernel[d]; ++k) {
    const I c = start + k * g.dilations[d];
    n += c >= lo && c < hi;
  }
  return n;
}

template <typename T, bool kMax, typename I>
__global__ void __launch_bounds__(kBlockThreads) pool_kernel(const T* x, T* y, I total, Geometry3<I> g,
                                                             bool count_include_pad) {
  const I plane_in = g.in[0] * g.in[1] * g.in[2];
  const I stride = static_cast<I>(gridDim.x) * static_cast<I>(blockDim.x);
  for (I t = static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) + static_cast<I>(threadIdx.x); t < total;
       t += stride) {
    I rest = t, start[kDims];
#pragma unroll
    for (int d = kDims - 1; d >= 0; --d) {
      start[d] = (rest % g.out[d]) * g.strides[d] - g.pads_begin[d];
      rest /= g.out[d];
    }
    const T* xp = x + rest * plane_in;  // rest is now the plane
    float acc = kMax ? -INFINITY : 0.f;
    bool found = false;
    for (I k0 = 0; k0 < g.kernel[0]; ++k0) {
      const I c0 = start[0] + k0 * g.dilations[0];
      if (c0 < 0 || c0 >= g.in[0]) continue;
      for (I k1 = 0; k1 < g.kernel[1]; ++k1) {
        const I c1 = start[1] + k1 * g.dilations[1];
        if (c1 < 0 || c1 >= g.in[1]) continue;
        const T* row = xp + (c0 * g.in[1] + c1) * g.in[2];
        for (I k2 = 0; k2 < g.kernel[2]; ++k2) {
          const I c2 = start[2] + k2 * g.dilations[2];
          if (c2 < 0 || c2 >= g.in[2]) continue;
          const float v = to_float(row[c2]);
          if constexpr (kMax) {
            // The first tap sets the value and only a larger one replaces it, as on the CPU (so
            // a NaN counts only where it comes first).
            if (!found || v > acc) acc = v;
            found = true;
          } else {
            acc += v;
          }
        }
      }
    }
    if constexpr (!kMax) {
      I count = 1;
#pragma unroll
      for (int d = 0; d < kDims; ++d)
        count *= count_include_pad ? taps_within(g, d, start[d], -g.pads_begin[d], g.in[d] + g.pads_end[d])
                                   : taps_within(g, d, start[d], I(0), g.in[d]);
      acc = count > 0 ? acc / static_cast<float>(count) : 0.f;
    }
    y[t] = from_float<T>(acc);
  }
}

// Checks g and returns it as rank 3, unit dimensions in front.
PoolGeometry as_rank3(const PoolGeometry& g, const char* what) {
  auto fail = [&](const std::string& why) {
    throw Error(ErrorCode::InvalidArgument, std::string(what) + ": " + why);
  };
  if (g.rank < 1 || g.rank > kDims) fail("rank " + std::to_string(g.rank) + " is not 1, 2 or 3");
  PoolGeometry r;
  r.rank = kDims;
  const int shift = kDims - g.rank;
  for (int d = 0; d < kDims; ++d) {
    if (d < shift) {
      r.in[d] = r.out[d] = r.kernel[d] = r.strides[d] = r.dilations[d] = 1;
      continue;
    }
    const int s = d - shift;
    const std::string dim = " in dimension " + std::to_string(s);
    if (g.in[s] < 0 || g.out[s] < 0) fail("negative size" + dim);
    if (g.kernel[s] < 1) fail("kernel " + std::to_string(g.kernel[s]) + dim + " is not positive");
    if (g.strides[s] < 1) fail("stride " + std::to_string(g.strides[s]) + dim + " is not positive");
    if (g.dilations[s] < 1) fail("dilation " + std::to_string(g.dilations[s]) + dim + " is not positive");
    if (g.pads_begin[s] < 0 || g.pads_end[s] < 0) fail("negative padding" + dim);
    r.in[d] = g.in[s];
    r.out[d] = g.out[s];
    r.kernel[d] = g.kernel[s];
    r.strides[d] = g.strides[s];
    r.dilations[d] = g.dilations[s];
    r.pads_begin[d] = g.pads_begin[s];
    r.pads_end[d] = g.pads_end[s];
  }
  return r;
}

template <bool kMax>
void launch_pool(DType dtype, const void* x, void* y, int64_t batch_channels, const PoolGeometry& geometry,
                 bool count_include_pad, const char* what, cudaStream_t stream) {
  const PoolGeometry g = as_rank3(geometry, what);
  if (batch_channels < 0)
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + ": negative batch_channels " + std::to_string(batch_channels));
  const int64_t total = batch_channels * g.out[0] * g.out[1] * g.out[2];
  if (total == 0) return;
  // Every index the kernel forms (outputs, input offsets, window coordinates with their padding
  // and the stride loop's overshoot) stays below this bound.
  int64_t bound = total + static_cast<int64_t>(grid_for(total)) * kBlockThreads;
  bound = std::max(bound, batch_channels * g.in[0] * g.in[1] * g.in[2]);
  int64_t padded_taps = 1;  // bounds the divisor of count_include_pad
  for (int d = 0; d < kDims; ++d) {
    bound = std::max(bound, g.out[d] * g.strides[d] + (g.kernel[d] - 1) * g.dilations[d] + g.in[d] + g.pads_end[d]);
    padded_taps *= g.in[d] + g.pads_begin[d] + g.pads_end[d];
  }
  bound = std::max(bound, padded_taps);
  const bool narrow_index = bound < std::numeric_limits<int32_t>::max();
  dispatch_device_float(dtype, what, [&]<typename T>() {
    const T* xt = static_cast<const T*>(x);
    T* yt = static_cast<T*>(y);
    if (narrow_index)
      pool_kernel<T, kMax, int32_t><<<grid_for(total), kBlockThreads, 0, stream>>>(
          xt, yt, static_cast<int32_t>(total), narrow<int32_t>(g), count_include_pad);
    else
      pool_kernel<T, kMax, int64_t><<<grid_for(total), kBlockThreads, 0, stream>>>(xt, yt, total, narrow<int64_t>(g),
                                                                                   count_include_pad);
    LRE_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace

void launch_max_pool(DType dtype, const void* x, void* y, int64_t batch_channels, const PoolGeometry& g,
                     cudaStream_t stream) {
  launch_pool<true>(dtype, x, y, batch_channels, g, false, "launch_max_pool", stream);
}

void launch_average_pool(DType dtype, const void* x, void* y, int64_t batch_channels, const PoolGeometry& g,
                         bool count_include_pad, cudaStream_t stream) {
  launch_pool<false>(dtype, x, y, batch_channels, g, count_include_pad, "launch_average_pool", stream);
}

}  // namespace lre::cuda
