// Resize: output coordinates map back to the input with the CPU kernel's double-precision formulas
// (src/kernels/cpu/resize.cc), so nearest picks the same element and interpolation the same taps
// and weights. Each thread owns a few output columns of the innermost dimension and walks rows:
// the innermost taps are worked out once per column, the outer ones once per row. Dimensions that
// are not resized merge; nearest moves elements of any dtype, interpolation sums in float32.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/resize.cuh"

namespace lre::cuda {

namespace {

// One merged dimension: a resized one, or a run of dimensions the output copies (in_len = out_len).
struct ResizeDim {
  int64_t out_len = 1, in_len = 1, in_stride = 0;
  bool resized = false;
  double scale = 1, roi_start = 0, roi_end = 1;
  double out_width = 1, in_last = 0;  // scale * in_len and in_len - 1, computed as the CPU does
};

// Dimensions innermost first, the mode, and the taps ^ (resized dimensions other than the
// innermost): the terms each row contributes to an interpolated element.
struct ResizeView {
  int rank = 0;
  ResizeDim dim[kMaxBroadcastDims];
  ResizeCoord coord = ResizeCoord::HalfPixel;
  NearestRounding nearest = NearestRounding::RoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  int outer_terms = 1;
};

// The reference measures the output length as scale * input (not the rounded integer length), as
// the CPU kernel does.
__device__ __forceinline__ double source_coordinate(int64_t x, const ResizeDim& r, ResizeCoord c) {
  const double xr = static_cast<double>(x);
  switch (c) {
    case ResizeCoord::HalfPixel:
      return (xr + 0.5) / r.scale - 0.5;
    case ResizeCoord::PytorchHalfPixel:
      return r.out_width == 1 ? -0.5 : (xr + 0.5) / r.scale - 0.5;
    case ResizeCoord::AlignCorners:
      return r.out_width == 1 ? 0.0 : xr * r.in_last / (r.out_width - 1);
    case ResizeCoord::Asymmetric:
      return xr / r.scale;
    case ResizeCoord::TfHalfPixelForNn:
      return (xr + 0.5) / r.scale;
    case ResizeCoord::TfCropAndResize: {
      const double span = (r.roi_end - r.roi_start) * r.in_last;
      const double v = r.out_width == 1 ? span / 2 : xr * span / (r.out_width - 1);
      return v + r.roi_start * r.in_last;
    }
  }
  return xr;
}

// The nearest input index, with ties and rounding decided on the fractional part as the CPU does.
__device__ __forceinline__ int64_t nearest_index(double xo, double scale, NearestRounding rounding) {
  const double f = floor(xo);
  if (xo == f) return static_cast<int64_t>(f);
  const double ratio = xo - f;
  switch (rounding) {
    case NearestRounding::RoundPreferFloor: return static_cast<int64_t>(ratio <= 0.5 ? f : f + 1);
    case NearestRounding::RoundPreferCeil: return static_cast<int64_t>(ratio < 0.5 ? f : f + 1);
    case NearestRounding::Floor: return static_cast<int64_t>(f);
    case NearestRounding::Ceil: return static_cast<int64_t>(f + 1);
    case NearestRounding::Simple: return static_cast<int64_t>(scale < 1 ? ceil(xo) : f);
  }
  return static_cast<int64_t>(f);
}

__device__ __forceinline__ int64_t clamp_index(int64_t i, int64_t in_len) {
  return i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
}

// Keys' cubic convolution weights of the taps at floor-1 .. floor+2 for fractional offset r.
__device__ __forceinline__ void cubic_coeffs(double r, double a, double* c) {
  const double s = 1 - r;
  c[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
  c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
  c[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
  c[3] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
}

// The taps of output position j along one dimension: input offsets (clamped index times stride)
// and weights, kTaps = 1 (nearest), 2 (linear) or 4 (cubic). A copied dimension has one tap of
// weight 1; `outside` marks tf_crop_and_resize positions beyond the input.
template <int kTaps>
struct AxisTaps {
  int64_t off[kTaps];
  float w[kTaps];
  bool outside;
};

template <int kTaps>
__device__ __forceinline__ AxisTaps<kTaps> axis_taps(int64_t j, const ResizeDim& r, const ResizeView& v) {
  AxisTaps<kTaps> t;
  t.outside = false;
  if (!r.resized) {
#pragma unroll
    for (int k = 0; k < kTaps; ++k) {
      t.off[k] = j * r.in_stride;
      t.w[k] = k == 0 ? 1.f : 0.f;
    }
    return t;
  }
  const double xo = source_coordinate(j, r, v.coord);
  t.outside = v.coord == ResizeCoord::TfCropAndResize && (xo < 0 || xo > r.in_last);
  if constexpr (kTaps == 1) {
    t.off[0] = clamp_index(nearest_index(xo, r.scale, v.nearest), r.in_len) * r.in_stride;
    t.w[0] = 1.f;
  } else {
    const double f = floor(xo);
    const double frac = xo - f;
    int64_t first = static_cast<int64_t>(f);
    double w[kTaps];
    if constexpr (kTaps == 2) {
      w[0] = 1 - frac;
      w[1] = frac;
    } else {
      cubic_coeffs(frac, v.cubic_a, w);
      first -= 1;
    }
    if (v.exclude_outside) {
      double sum = 0;
#pragma unroll
      for (int k = 0; k < kTaps; ++k) {
        if (first + k < 0 || first + k >= r.in_len) w[k] = 0;
        sum += w[k];
      }
      if (sum != 0)
#pragma unroll
        for (int k = 0; k < kTaps; ++k) w[k] /= sum;
    }
#pragma unroll
    for (int k = 0; k < kTaps; ++k) {
      t.off[k] = clamp_index(first + k, r.in_len) * r.in_stride;
      t.w[k] = static_cast<float>(w[k]);
    }
  }
  return t;
}

// a[t] for a runtime t without indexing the array dynamically, which would move it to local memory.
template <int kTaps, typename V>
__device__ __forceinline__ V pick(const V (&a)[kTaps], unsigned t) {
  V r = a[0];
#pragma unroll
  for (int k = 1; k < kTaps; ++k)
    if (t == static_cast<unsigned>(k)) r = a[k];
  return r;
}

// The output column of slot k of a thread whose first column is c0; columns past the end reuse
// the last one (their taps are valid, their results are not stored).
template <typename Index>
__device__ __forceinline__ Index column_of(Index c0, int k, Index cols) {
  const Index j = c0 + static_cast<Index>(k) * blockDim.x;
  return j < cols ? j : cols - 1;
}

// kCols output columns per thread, blockDim.x apart, over rows of the outer dimensions; kDims
// bounds v.rank so that the per-dimension loops unroll and their state stays in registers.
template <int kDims, int kCols, typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) resize_nearest_kernel(const T* x, T* y, Index rows, ResizeView v,
                                                                       T extrapolation) {
  const Index cols = static_cast<Index>(v.dim[0].out_len);
  const Index span = static_cast<Index>(blockDim.x) * kCols;
  const Index row_step = static_cast<Index>(gridDim.y) * blockDim.y;
  const Index col_step = static_cast<Index>(gridDim.x) * span;
  for (Index c0 = static_cast<Index>(blockIdx.x) * span + threadIdx.x; c0 < cols; c0 += col_step) {
    AxisTaps<1> col[kCols];
#pragma unroll
    for (int k = 0; k < kCols; ++k) col[k] = axis_taps<1>(column_of(c0, k, cols), v.dim[0], v);
    for (Index r = static_cast<Index>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
      Index rem = r;
      int64_t off = 0;
      bool outside = false;
#pragma unroll
      for (int d = 1; d < kDims; ++d) {
        if (d >= v.rank) break;
        const Index size = static_cast<Index>(v.dim[d].out_len);
        const AxisTaps<1> t = axis_taps<1>(static_cast<int64_t>(rem % size), v.dim[d], v);
        rem /= size;
        off += t.off[0];
        outside = outside || t.outside;
      }
      T* dst = y + static_cast<int64_t>(r) * cols;
#pragma unroll
      for (int k = 0; k < kCols; ++k) {
        const Index j = c0 + static_cast<Index>(k) * blockDim.x;
        if (j < cols) dst[j] = outside || col[k].outside ? extrapolation : x[off + col[k].off[0]];
      }
    }
  }
}

// Linear (kTaps = 2) and cubic (kTaps = 4): per row, the taps of the resized outer dimensions and
// the sum over their v.outer_terms combinations, each times the column's own taps; zero weights
// are skipped, as the CPU's row passes do.
template <int kDims, int kCols, int kTaps, typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) resize_interp_kernel(const T* x, T* y, Index rows, ResizeView v,
                                                                      float extrapolation) {
  const Index cols = static_cast<Index>(v.dim[0].out_len);
  const Index span = static_cast<Index>(blockDim.x) * kCols;
  const Index row_step = static_cast<Index>(gridDim.y) * blockDim.y;
  const Index col_step = static_cast<Index>(gridDim.x) * span;
  for (Index c0 = static_cast<Index>(blockIdx.x) * span + threadIdx.x; c0 < cols; c0 += col_step) {
    AxisTaps<kTaps> col[kCols];
#pragma unroll
    for (int k = 0; k < kCols; ++k) col[k] = axis_taps<kTaps>(column_of(c0, k, cols), v.dim[0], v);
    for (Index r = static_cast<Index>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
      Index rem = r;
      int64_t base = 0;
      bool outside = false;
      AxisTaps<kTaps> outer[kDims - 1];
#pragma unroll
      for (int d = 1; d < kDims; ++d) {
        if (d >= v.rank) break;
        const ResizeDim& dim = v.dim[d];
        const Index size = static_cast<Index>(dim.out_len);
        const int64_t j = static_cast<int64_t>(rem % size);
        rem /= size;
        if (!dim.resized) {
          base += j * dim.in_stride;
          continue;
        }
        outer[d - 1] = axis_taps<kTaps>(j, dim, v);
        outside = outside || outer[d - 1].outside;
      }
      float acc[kCols] = {};
      for (int term = 0; term < v.outer_terms && !outside; ++term) {
        unsigned digits = static_cast<unsigned>(term);
        float w = 1.f;
        int64_t off = base;
#pragma unroll
        for (int d = 1; d < kDims; ++d) {
          if (d >= v.rank) break;
          if (!v.dim[d].resized) continue;
          const unsigned t = digits % kTaps;
          digits /= kTaps;
          w *= pick(outer[d - 1].w, t);
          off += pick(outer[d - 1].off, t);
        }
        if (w == 0.f) continue;
#pragma unroll
        for (int k = 0; k < kCols; ++k)
#pragma unroll
          for (int t = 0; t < kTaps; ++t)
            if (col[k].w[t] != 0.f) acc[k] += w * col[k].w[t] * to_float(x[off + col[k].off[t]]);
      }
      T* dst = y + static_cast<int64_t>(r) * cols;
#pragma unroll
      for (int k = 0; k < kCols; ++k) {
        const Index j = c0 + static_cast<Index>(k) * blockDim.x;
        if (j < cols) dst[j] = from_float<T>(outside || col[k].outside ? extrapolation : acc[k]);
      }
    }
  }
}

// The CPU's conversion of extrapolation_value to the tensor's dtype (store<T> in resize.cc), as
// raw bits.
uint64_t extrapolation_bits(DType dtype, double v) {
  uint64_t bits = 0;
  dispatch_dtype(dtype, [&]<typename D>() {
    D d;
    if constexpr (std::is_same_v<D, bool>) {
      d = v >= 0.5;
    } else if constexpr (std::is_integral_v<D>) {
      const double r = std::nearbyint(v);
      if (!(r >= static_cast<double>(std::numeric_limits<D>::lowest()))) d = std::numeric_limits<D>::lowest();
      else if (r >= static_cast<double>(std::numeric_limits<D>::max())) d = std::numeric_limits<D>::max();
      else d = static_cast<D>(r);
    } else {
      d = static_cast<D>(static_cast<compute_t<D>>(v));
    }
    std::memcpy(&bits, &d, sizeof(D));
  });
  return bits;
}

// Dimensions that the transform maps exactly onto themselves (same length, scale 1, a transform
// with no half-pixel shift) are not resized; runs of them merge, and size-1 ones drop out.
ResizeView plan_view(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape,
                     std::span<const double> scales, std::span<const double> roi, const ResizeParams& p) {
  const size_t rank = x_shape.size();
  ResizeView v;
  v.coord = p.coord;
  v.nearest = p.nearest;
  v.cubic_a = p.cubic_a;
  v.exclude_outside = p.exclude_outside;
  const int taps = p.mode == ResizeMode::Nearest ? 1 : p.mode == ResizeMode::Linear ? 2 : 4;
  const bool shifts = p.coord == ResizeCoord::TfHalfPixelForNn || p.coord == ResizeCoord::TfCropAndResize;
  int64_t stride = 1;
  bool last_copied = false;
  for (size_t i = rank; i-- > 0;) {
    const bool copied = x_shape[i] == y_shape[i] && scales[i] == 1.0 && !shifts;
    const int64_t in_stride = stride;
    stride *= x_shape[i];
    if (copied && x_shape[i] == 1) continue;
    if (copied && last_copied) {
      v.dim[v.rank - 1].out_len *= y_shape[i];
      v.dim[v.rank - 1].in_len *= x_shape[i];
      continue;
    }
    if (v.rank == kMaxBroadcastDims) fail_rank("launch_resize", kMaxBroadcastDims);
    const bool innermost = v.rank == 0;
    ResizeDim& r = v.dim[v.rank++];
    r.out_len = y_shape[i];
    r.in_len = x_shape[i];
    r.in_stride = in_stride;
    r.resized = !copied;
    r.scale = scales[i];
    r.roi_start = roi.empty() ? 0.0 : roi[i];
    r.roi_end = roi.empty() ? 1.0 : roi[i + rank];
    r.out_width = r.scale * static_cast<double>(r.in_len);
    r.in_last = static_cast<double>(r.in_len - 1);
    if (r.resized && !innermost) v.outer_terms *= taps;  // the innermost taps belong to columns
    last_copied = copied;
  }
  return v;
}

// Rows of 128 or more columns give each thread 4 columns (32 or more threads a row); shorter rows
// one column a thread, with several rows a block.
template <int kDims, int kCols>
void launch_columns(DType dtype, const void* x, void* y, int64_t n, const ResizeView& v, const ResizeParams& p,
                    cudaStream_t stream) {
  const int64_t cols = v.dim[0].out_len, rows = n / cols;
  const RowsLaunch launch = rows_launch(rows, (cols + kCols - 1) / kCols, 1, 1);
  dispatch_index(n, [&]<typename Index>() {
    if (p.mode == ResizeMode::Nearest) {
      const uint64_t bits = extrapolation_bits(dtype, p.extrapolation_value);
      dispatch_element_bytes(dtype_size(dtype), "launch_resize", [&]<typename T>() {
        T extrapolation;
        std::memcpy(&extrapolation, &bits, sizeof(T));
        resize_nearest_kernel<kDims, kCols, T, Index><<<launch.grid, launch.block, 0, stream>>>(
            static_cast<const T*>(x), static_cast<T*>(y), static_cast<Index>(rows), v, extrapolation);
        LRE_CUDA_CHECK_LAUNCH();
      });
      return;
    }
    const float extrapolation = static_cast<float>(p.extrapolation_value);
    dispatch_device_float(dtype, "launch_resize in linear or cubic mode", [&]<typename T>() {
      const T* xt = static_cast<const T*>(x);
      T* yt = static_cast<T*>(y);
      if (p.mode == ResizeMode::Linear)
        resize_interp_kernel<kDims, kCols, 2, T, Index>
            <<<launch.grid, launch.block, 0, stream>>>(xt, yt, static_cast<Index>(rows), v, extrapolation);
      else
        resize_interp_kernel<kDims, kCols, 4, T, Index>
            <<<launch.grid, launch.block, 0, stream>>>(xt, yt, static_cast<Index>(rows), v, extrapolation);
      LRE_CUDA_CHECK_LAUNCH();
    });
  });
}

template <int kDims>
void launch_planned(DType dtype, const void* x, void* y, int64_t n, const ResizeView& v, const ResizeParams& p,
                    cudaStream_t stream) {
  if (v.dim[0].out_len >= 128) launch_columns<kDims, 4>(dtype, x, y, n, v, p, stream);
  else launch_columns<kDims, 1>(dtype, x, y, n, v, p, stream);
}

}  // namespace

void launch_resize(DType dtype, const void* x, std::span<const int64_t> x_shape, void* y,
                   std::span<const int64_t> y_shape, std::span<const double> scales, std::span<const double> roi,
                   const ResizeParams& params, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_resize";
  const size_t rank = x_shape.size();
  if (y_shape.size() != rank || scales.size() != rank)
    fail_argument(kWhat, "output shape " + shape_str(y_shape) + " and " + std::to_string(scales.size()) +
                             " scales for the input shape " + shape_str(x_shape));
  if (!roi.empty() && roi.size() != 2 * rank)
    fail_argument(kWhat, std::to_string(roi.size()) + " roi values for rank " + std::to_string(rank) +
                             " (expected none or 2 * rank)");
  if (params.mode != ResizeMode::Nearest && dtype != DType::Float32 && dtype != DType::Float16 &&
      dtype != DType::BFloat16)
    throw_unsupported_dtype(dtype, "launch_resize in linear or cubic mode");
  for (size_t d = 0; d < rank; ++d) {
    if (x_shape[d] < 0 || y_shape[d] < 0)
      fail_argument(kWhat, "negative dimension in " + shape_str(x_shape) + " or " + shape_str(y_shape));
    if (!(scales[d] > 0) || !std::isfinite(scales[d]))
      fail_argument(kWhat, "scale " + std::to_string(scales[d]) + " of dimension " + std::to_string(d) +
                               " is not positive and finite");
  }
  const int64_t n = element_count(y_shape);
  if (n == 0) return;
  if (element_count(x_shape) == 0)
    fail_argument(kWhat, "cannot resize the empty input " + shape_str(x_shape) + " to " + shape_str(y_shape));
  const ResizeView v = plan_view(x_shape, y_shape, scales, roi, params);
  bool any_resized = false;
  for (int d = 0; d < v.rank; ++d) any_resized = any_resized || v.dim[d].resized;
  if (!any_resized) {
    LRE_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<size_t>(n) * dtype_size(dtype), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  if (v.rank <= 3) launch_planned<3>(dtype, x, y, n, v, params, stream);
  else launch_planned<kMaxBroadcastDims>(dtype, x, y, n, v, params, stream);
}

}  // namespace lre::cuda
