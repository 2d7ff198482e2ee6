// RoiAlign kernel: the bilinear taps of every sample of a region are computed once per (roi,
// channel block) and reused across channels; work is spread over (roi, channel) pairs.
#include "kernels/cpu/roi_align.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

template <typename W>
struct Sample {
  int64_t pos[4];
  W w[4];
};

// Samples of every bin of one roi, bin-major: (out_h * out_w) bins of grid_h * grid_w samples.
template <typename W>
void roi_samples(W x1, W y1, W x2, W y2, int64_t h, int64_t w, const RoiAlignParams& p, std::vector<Sample<W>>& out,
                 int64_t& grid_h, int64_t& grid_w) {
  const W offset = p.half_pixel ? W(0.5) : W(0);
  const W sx = x1 * p.spatial_scale - offset, sy = y1 * p.spatial_scale - offset;
  W roi_w = x2 * p.spatial_scale - offset - sx, roi_h = y2 * p.spatial_scale - offset - sy;
  if (!p.half_pixel) {
    roi_w = std::max(roi_w, W(1));
    roi_h = std::max(roi_h, W(1));
  }
  const W bin_h = roi_h / static_cast<W>(p.out_h), bin_w = roi_w / static_cast<W>(p.out_w);
  grid_h = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<int64_t>(std::ceil(roi_h / static_cast<W>(p.out_h)));
  grid_w = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<int64_t>(std::ceil(roi_w / static_cast<W>(p.out_w)));
  grid_h = std::max<int64_t>(grid_h, 0);
  grid_w = std::max<int64_t>(grid_w, 0);
  out.clear();
  for (int64_t ph = 0; ph < p.out_h; ++ph)
    for (int64_t pw = 0; pw < p.out_w; ++pw)
      for (int64_t iy = 0; iy < grid_h; ++iy) {
        W yy = sy + static_cast<W>(ph) * bin_h + (static_cast<W>(iy) + W(0.5)) * bin_h / static_cast<W>(grid_h);
        for (int64_t ix = 0; ix < grid_w; ++ix) {
          W xx = sx + static_cast<W>(pw) * bin_w + (static_cast<W>(ix) + W(0.5)) * bin_w / static_cast<W>(grid_w);
          Sample<W> s{};
          if (!(yy >= -1 && yy <= static_cast<W>(h) && xx >= -1 && xx <= static_cast<W>(w))) {
            out.push_back(s);  // outside: contributes zero
            continue;
          }
          W yv = std::max(yy, W(0)), xv = std::max(xx, W(0));
          int64_t y_lo = static_cast<int64_t>(yv), x_lo = static_cast<int64_t>(xv), y_hi, x_hi;
          if (y_lo >= h - 1) {
            y_lo = y_hi = h - 1;
            yv = static_cast<W>(y_lo);
          } else {
            y_hi = y_lo + 1;
          }
          if (x_lo >= w - 1) {
            x_lo = x_hi = w - 1;
            xv = static_cast<W>(x_lo);
          } else {
            x_hi = x_lo + 1;
          }
          W ly = yv - static_cast<W>(y_lo), lx = xv - static_cast<W>(x_lo), hy = 1 - ly, hx = 1 - lx;
          s.pos[0] = y_lo * w + x_lo;
          s.pos[1] = y_lo * w + x_hi;
          s.pos[2] = y_hi * w + x_lo;
          s.pos[3] = y_hi * w + x_hi;
          s.w[0] = hy * hx;
          s.w[1] = hy * lx;
          s.w[2] = ly * hx;
          s.w[3] = ly * lx;
          out.push_back(s);
        }
      }
}

}  // namespace

template <typename T>
void roi_align(const T* x, const T* rois, const int64_t* batch_index, T* y, int64_t c, int64_t h, int64_t w,
               int64_t num_rois, const RoiAlignParams& p, ThreadPool* pool) {
  using W = std::conditional_t<std::is_same_v<T, double>, double, float>;
  auto val = [](T v) { return static_cast<W>(static_cast<compute_t<T>>(v)); };
  const int64_t bins = p.out_h * p.out_w, plane = h * w;
  maybe_parallel(pool, num_rois * c, std::max<int64_t>(1, 64 / std::max<int64_t>(bins, 1)),
                 [&](int64_t begin, int64_t end) {
                   std::vector<Sample<W>> samples;
                   int64_t roi_ready = -1, grid_h = 0, grid_w = 0;
                   for (int64_t q = begin; q < end; ++q) {
                     const int64_t r = q / c, ch = q % c;
                     if (r != roi_ready) {
                       const T* b = rois + r * 4;
                       roi_samples<W>(val(b[0]), val(b[1]), val(b[2]), val(b[3]), h, w, p, samples, grid_h, grid_w);
                       roi_ready = r;
                     }
                     const T* xc = x + (batch_index[r] * c + ch) * plane;
                     T* yc = y + q * bins;
                     const int64_t per_bin = grid_h * grid_w;
                     const W count = static_cast<W>(std::max<int64_t>(per_bin, 1));
                     for (int64_t bin = 0; bin < bins; ++bin) {
                       const Sample<W>* s = samples.data() + bin * per_bin;
                       W acc = 0;
                       for (int64_t k = 0; k < per_bin; ++k) {
                         const Sample<W>& t = s[k];
                         if (p.max_mode) {
                           W v = std::max(std::max(t.w[0] * val(xc[t.pos[0]]), t.w[1] * val(xc[t.pos[1]])),
                                          std::max(t.w[2] * val(xc[t.pos[2]]), t.w[3] * val(xc[t.pos[3]])));
                           acc = k == 0 ? v : std::max(acc, v);
                         } else {
                           acc += t.w[0] * val(xc[t.pos[0]]) + t.w[1] * val(xc[t.pos[1]]) + t.w[2] * val(xc[t.pos[2]]) +
                                  t.w[3] * val(xc[t.pos[3]]);
                         }
                       }
                       yc[bin] = static_cast<T>(static_cast<compute_t<T>>(p.max_mode ? acc : acc / count));
                     }
                   }
                 });
}

#define LRE_INSTANTIATE_ROI_ALIGN(T)                                                                     \
  template void roi_align<T>(const T*, const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t, \
                             const RoiAlignParams&, ThreadPool*);
LRE_INSTANTIATE_ROI_ALIGN(float)
LRE_INSTANTIATE_ROI_ALIGN(double)
LRE_INSTANTIATE_ROI_ALIGN(Half)
LRE_INSTANTIATE_ROI_ALIGN(BFloat16)
#undef LRE_INSTANTIATE_ROI_ALIGN

}  // namespace lre::cpu
