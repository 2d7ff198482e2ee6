// Resize kernels: per-axis coordinate transforms and interpolation taps following the ONNX
// reference (edge-clamped neighbours, ratio-based nearest rounding), then the N-D passes.
#include "kernels/cpu/resize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

// The reference measures the output length as scale * input (not the rounded integer length), and
// so do align_corners, pytorch_half_pixel and tf_crop_and_resize here.
double source_coordinate(int64_t x, int64_t in_len, double scale, double roi_start, double roi_end, ResizeCoord c) {
  const double out_width = scale * static_cast<double>(in_len);
  const double xr = static_cast<double>(x);
  const double in_last = static_cast<double>(in_len - 1);
  switch (c) {
    case ResizeCoord::HalfPixel:
      return (xr + 0.5) / scale - 0.5;
    case ResizeCoord::PytorchHalfPixel:
      return out_width == 1 ? -0.5 : (xr + 0.5) / scale - 0.5;
    case ResizeCoord::AlignCorners:
      return out_width == 1 ? 0.0 : xr * in_last / (out_width - 1);
    case ResizeCoord::Asymmetric:
      return xr / scale;
    case ResizeCoord::TfHalfPixelForNn:
      return (xr + 0.5) / scale;
    case ResizeCoord::TfCropAndResize: {
      double span = (roi_end - roi_start) * in_last;
      double v = out_width == 1 ? span / 2 : xr * span / (out_width - 1);
      return v + roi_start * in_last;
    }
  }
  return xr;
}

int64_t nearest_index(double xo, double scale, NearestRounding r) {
  double f = std::floor(xo);
  if (xo == f) return static_cast<int64_t>(f);
  double ratio = xo - f;
  switch (r) {
    case NearestRounding::RoundPreferFloor:
      return static_cast<int64_t>(ratio <= 0.5 ? f : f + 1);
    case NearestRounding::RoundPreferCeil:
      return static_cast<int64_t>(ratio < 0.5 ? f : f + 1);
    case NearestRounding::Floor:
      return static_cast<int64_t>(f);
    case NearestRounding::Ceil:
      return static_cast<int64_t>(f + 1);
    case NearestRounding::Simple:
      return static_cast<int64_t>(scale < 1 ? std::ceil(xo) : f);
  }
  return static_cast<int64_t>(f);
}

// Keys' cubic convolution weights of the taps at floor-1 .. floor+2 for fractional offset r.
void cubic_coeffs(double r, double a, double* c) {
  double s = 1 - r;
  c[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
  c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
  c[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
  c[3] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
}

template <typename W, typename S>
W load(S v) {
  return static_cast<W>(static_cast<compute_t<S>>(v));
}

template <typename D, typename W>
D store(W v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v >= W(0.5);
  } else if constexpr (std::is_integral_v<D>) {
    W r = std::nearbyint(v);
    if (!(r >= static_cast<W>(std::numeric_limits<D>::lowest()))) return std::numeric_limits<D>::lowest();
    if (r >= static_cast<W>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
    return static_cast<D>(r);
  } else {
    return static_cast<D>(static_cast<compute_t<D>>(v));
  }
}

// One separable pass: (outer, in_len, inner) -> (outer, out_len, inner) along the middle axis.
template <typename W, typename S, typename D>
void resize_pass(const S* src, D* dst, int64_t outer, int64_t in_len, int64_t out_len, int64_t inner,
                 const ResizeAxisTaps& t, ThreadPool* pool) {
  std::vector<W> w(t.weight.begin(), t.weight.end());
  const int64_t taps = t.taps;
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, inner * taps));
  maybe_parallel(pool, outer * out_len, grain, [&](int64_t begin, int64_t end) {
    std::vector<W> acc(inner > 1 ? static_cast<size_t>(inner) : 0);
    for (int64_t u = begin; u < end; ++u) {
      const int64_t o = u / out_len, j = u % out_len;
      const S* base = src + o * in_len * inner;
      const int64_t* idx = &t.index[static_cast<size_t>(j * taps)];
      const W* wt = &w[static_cast<size_t>(j * taps)];
      D* out = dst + u * inner;
      if (inner == 1) {
        W s = 0;
        for (int64_t k = 0; k < taps; ++k) s += wt[k] * load<W>(base[idx[k]]);
        out[0] = store<D>(s);
        continue;
      }
      std::fill(acc.begin(), acc.end(), W(0));
      for (int64_t k = 0; k < taps; ++k) {
        if (wt[k] == W(0)) continue;
        const S* row = base + idx[k] * inner;
        const W wk = wt[k];
        W* a = acc.data();
        for (int64_t e = 0; e < inner; ++e) a[e] += wk * load<W>(row[e]);
      }
      for (int64_t e = 0; e < inner; ++e) out[e] = store<D>(acc[static_cast<size_t>(e)]);
    }
  });
}

// Calls fn(row, base_offset_or_-1, out_row_ptr) for every output row (all axes but the last), with
// the input offset of the row's start; -1 when any leading axis is outside the input.
template <typename F>
void for_each_row(const Shape& in_shape, const Shape& out_shape, const std::vector<ResizeAxisTaps>& axes, int64_t grain,
                  ThreadPool* pool, F&& fn) {
  const size_t rank = out_shape.size();
  const int64_t last = out_shape[rank - 1];
  const int64_t rows = last == 0 ? 0 : shape_numel(out_shape) / last;
  std::vector<int64_t> in_stride(rank, 1);
  for (size_t d = rank - 1; d-- > 0;) in_stride[d] = in_stride[d + 1] * in_shape[d + 1];
  maybe_parallel(pool, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t rem = r, base = 0;
      bool outside = false;
      for (size_t d = rank - 1; d-- > 0;) {
        int64_t i = rem % out_shape[d];
        rem /= out_shape[d];
        const ResizeAxisTaps& a = axes[d];
        outside = outside || a.outside[static_cast<size_t>(i)];
        base += a.index[static_cast<size_t>(i * a.taps)] * in_stride[d];
      }
      fn(r, outside ? -1 : base);
    }
  });
}

template <typename T>
void resize_nearest(const T* x, const Shape& in_shape, T* y, const Shape& out_shape,
                    const std::vector<ResizeAxisTaps>& axes, T extrapolation, ThreadPool* pool) {
  const int64_t last = out_shape.back();
  const ResizeAxisTaps& la = axes.back();
  for_each_row(in_shape, out_shape, axes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, last)), pool,
               [&](int64_t r, int64_t base) {
                 T* out = y + r * last;
                 if (base < 0) {
                   std::fill(out, out + last, extrapolation);
                   return;
                 }
                 const T* in = x + base;
                 for (int64_t k = 0; k < last; ++k)
                   out[k] = la.outside[static_cast<size_t>(k)] ? extrapolation : in[la.index[static_cast<size_t>(k)]];
               });
}

template <typename T>
void fill_outside(T* y, const Shape& in_shape, const Shape& out_shape, const std::vector<ResizeAxisTaps>& axes, T value,
                  ThreadPool* pool) {
  const int64_t last = out_shape.back();
  const ResizeAxisTaps& la = axes.back();
  for_each_row(in_shape, out_shape, axes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, last)), pool,
               [&](int64_t r, int64_t base) {
                 T* out = y + r * last;
                 for (int64_t k = 0; k < last; ++k)
                   if (base < 0 || la.outside[static_cast<size_t>(k)]) out[k] = value;
               });
}

}  // namespace

ResizeAxisTaps resize_axis_taps(int64_t in_len, int64_t out_len, double scale, double roi_start, double roi_end,
                                const ResizeParams& p) {
  ResizeAxisTaps t;
  t.taps = p.mode == ResizeMode::Nearest ? 1 : p.mode == ResizeMode::Linear ? 2 : 4;
  t.index.resize(static_cast<size_t>(out_len * t.taps));
  t.weight.resize(t.index.size());
  t.outside.assign(static_cast<size_t>(out_len), 0);
  const int64_t hi = std::max<int64_t>(in_len - 1, 0);
  for (int64_t j = 0; j < out_len; ++j) {
    double xo = source_coordinate(j, in_len, scale, roi_start, roi_end, p.coord);
    if (p.coord == ResizeCoord::TfCropAndResize && (xo < 0 || xo > static_cast<double>(in_len - 1))) {
      t.outside[static_cast<size_t>(j)] = 1;
      t.any_outside = true;
    }
    int64_t* idx = &t.index[static_cast<size_t>(j * t.taps)];
    double* w = &t.weight[static_cast<size_t>(j * t.taps)];
    if (p.mode == ResizeMode::Nearest) {
      idx[0] = std::clamp<int64_t>(nearest_index(xo, scale, p.nearest), 0, hi);
      w[0] = 1;
      continue;
    }
    double f = std::floor(xo);
    double r = xo - f;
    int64_t first = static_cast<int64_t>(f);
    if (p.mode == ResizeMode::Linear) {
      w[0] = 1 - r;
      w[1] = r;
    } else {
      cubic_coeffs(r, p.cubic_a, w);
      first -= 1;
    }
    if (p.exclude_outside) {
      double sum = 0;
      for (int64_t k = 0; k < t.taps; ++k) {
        int64_t i = first + k;
        if (i < 0 || i >= in_len) w[k] = 0;
        sum += w[k];
      }
      if (sum != 0)
        for (int64_t k = 0; k < t.taps; ++k) w[k] /= sum;
    }
    for (int64_t k = 0; k < t.taps; ++k) idx[k] = std::clamp<int64_t>(first + k, 0, hi);
  }
  t.identity = in_len == out_len && !t.any_outside;
  for (int64_t j = 0; j < out_len && t.identity; ++j) {
    double on = 0, off = 0;
    for (int64_t k = 0; k < t.taps; ++k) {
      size_t q = static_cast<size_t>(j * t.taps + k);
      (t.index[q] == j ? on : off) += std::fabs(t.weight[q]);
    }
    t.identity = on == 1 && off == 0;
  }
  return t;
}

template <typename T>
void resize(const T* x, const Shape& in_shape, T* y, const Shape& out_shape, std::span<const double> scales,
            std::span<const double> roi, const ResizeParams& p, ThreadPool* pool) {
  const size_t rank = in_shape.size();
  if (shape_numel(out_shape) == 0) return;
  if (rank == 0) {
    y[0] = x[0];
    return;
  }
  std::vector<ResizeAxisTaps> axes(rank);
  bool any_outside = false;
  for (size_t d = 0; d < rank; ++d) {
    double start = roi.empty() ? 0.0 : roi[d], end = roi.empty() ? 1.0 : roi[d + rank];
    axes[d] = resize_axis_taps(in_shape[d], out_shape[d], scales[d], start, end, p);
    any_outside = any_outside || axes[d].any_outside;
  }
  const T extrapolation = store<T>(static_cast<double>(p.extrapolation_value));
  if (p.mode == ResizeMode::Nearest) {
    resize_nearest(x, in_shape, y, out_shape, axes, extrapolation, pool);
    return;
  }

  // Shrinking axes first, so later passes touch fewer elements.
  std::vector<size_t> order;
  for (size_t d = 0; d < rank; ++d)
    if (!axes[d].identity) order.push_back(d);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return static_cast<double>(out_shape[a]) / in_shape[a] < static_cast<double>(out_shape[b]) / in_shape[b];
  });
  if (order.empty()) {
    std::copy(x, x + shape_numel(in_shape), y);
    return;
  }

  using W = std::conditional_t<std::is_same_v<T, double>, double, float>;
  Shape cur = in_shape;
  std::vector<W> buf_in, buf_out;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t d = order[k];
    Shape next = cur;
    next[d] = out_shape[d];
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < d; ++i) outer *= cur[i];
    for (size_t i = d + 1; i < rank; ++i) inner *= cur[i];
    const bool first = k == 0, final = k + 1 == order.size();
    if (!final) buf_out.resize(static_cast<size_t>(shape_numel(next)));
    if (first && final) resize_pass<W>(x, y, outer, cur[d], next[d], inner, axes[d], pool);
    else if (first) resize_pass<W>(x, buf_out.data(), outer, cur[d], next[d], inner, axes[d], pool);
    else if (final) resize_pass<W>(buf_in.data(), y, outer, cur[d], next[d], inner, axes[d], pool);
    else resize_pass<W>(buf_in.data(), buf_out.data(), outer, cur[d], next[d], inner, axes[d], pool);
    std::swap(buf_in, buf_out);
    cur = next;
  }
  if (any_outside) fill_outside(y, in_shape, out_shape, axes, extrapolation, pool);
}

#define LRE_INSTANTIATE_RESIZE(T)                                                                                     \
  template void resize<T>(const T*, const Shape&, T*, const Shape&, std::span<const double>, std::span<const double>, \
                          const ResizeParams&, ThreadPool*);
LRE_INSTANTIATE_RESIZE(float)
LRE_INSTANTIATE_RESIZE(double)
LRE_INSTANTIATE_RESIZE(Half)
LRE_INSTANTIATE_RESIZE(BFloat16)
LRE_INSTANTIATE_RESIZE(int8_t)
LRE_INSTANTIATE_RESIZE(int16_t)
LRE_INSTANTIATE_RESIZE(int32_t)
LRE_INSTANTIATE_RESIZE(int64_t)
LRE_INSTANTIATE_RESIZE(uint8_t)
LRE_INSTANTIATE_RESIZE(uint16_t)
LRE_INSTANTIATE_RESIZE(uint32_t)
LRE_INSTANTIATE_RESIZE(uint64_t)
LRE_INSTANTIATE_RESIZE(bool)
#undef LRE_INSTANTIATE_RESIZE

}  // namespace lre::cpu
