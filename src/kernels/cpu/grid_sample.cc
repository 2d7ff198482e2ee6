// GridSample kernel: per output point, the taps (input offset, weight) are found once and then
// applied to every channel, so coordinate work does not scale with the channel count.
#include "kernels/cpu/grid_sample.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/dispatch.h"
#include "kernels/cpu/maybe_parallel.h"

namespace lre::cpu {

namespace {

template <typename W>
W unnormalize(W coord, int64_t size, bool align_corners) {
  return align_corners ? (coord + 1) / 2 * static_cast<W>(size - 1) : ((coord + 1) * static_cast<W>(size) - 1) / 2;
}

// Reflects `v` into [low2/2, high2/2] (bounds given doubled so half-pixel edges stay integral).
template <typename W>
W reflect(W v, int64_t low2, int64_t high2) {
  if (low2 == high2) return 0;
  W lo = static_cast<W>(low2) / 2, span = static_cast<W>(high2 - low2) / 2;
  v = std::fabs(v - lo);
  W extra = std::fmod(v, span);
  bool even_flips = std::fmod(std::floor(v / span), W(2)) == 0;  // in W: v may be too large for int64
  return even_flips ? extra + lo : span - extra + lo;
}

template <typename W>
W apply_padding(W v, int64_t size, const GridSampleParams& p) {
  if (p.padding == GridSamplePadding::Border) return std::clamp(v, W(0), static_cast<W>(size - 1));
  if (p.padding == GridSamplePadding::Reflection) {
    v = p.align_corners ? reflect(v, 0, 2 * (size - 1)) : reflect(v, -1, 2 * size - 1);
    return std::clamp(v, W(0), static_cast<W>(size - 1));
  }
  return v;
}

// False for NaN and for coordinates so far out that converting them to int64 would overflow.
template <typename W>
bool representable(W v) {
  return std::fabs(v) < W(1e15);
}

template <typename W>
void cubic_weights(W t, W* c) {
  const W a = W(-0.75);
  auto near = [&](W d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  auto far = [&](W d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

}  // namespace

template <typename T>
void grid_sample_2d(const T* x, const T* grid, T* y, int64_t n, int64_t c, int64_t h, int64_t w, int64_t out_h,
                    int64_t out_w, const GridSampleParams& p, ThreadPool* pool) {
  using W = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t points = out_h * out_w, plane = h * w;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, c));
  maybe_parallel(pool, n * points, grain, [&](int64_t begin, int64_t end) {
    int64_t off[16];
    W wt[16];
    for (int64_t q = begin; q < end; ++q) {
      const int64_t b = q / points, pt = q % points;
      W gx = static_cast<W>(static_cast<compute_t<T>>(grid[q * 2]));
      W gy = static_cast<W>(static_cast<compute_t<T>>(grid[q * 2 + 1]));
      W ix = unnormalize(gx, w, p.align_corners), iy = unnormalize(gy, h, p.align_corners);
      int taps = 0;
      auto add = [&](int64_t xi, int64_t yi, W weight) {
        if (xi < 0 || xi >= w || yi < 0 || yi >= h) return;  // zero padding
        off[taps] = yi * w + xi;
        wt[taps++] = weight;
      };
      if (p.mode == GridSampleMode::Bicubic) {
        W x0 = std::floor(ix), y0 = std::floor(iy);
        W cx[4], cy[4];
        cubic_weights(ix - x0, cx);
        cubic_weights(iy - y0, cy);
        for (int j = 0; j < 4; ++j) {
          W yy = apply_padding(y0 - 1 + static_cast<W>(j), h, p);
          for (int i = 0; i < 4; ++i) {
            W xx = apply_padding(x0 - 1 + static_cast<W>(i), w, p);
            if (representable(xx) && representable(yy))
              add(static_cast<int64_t>(xx), static_cast<int64_t>(yy), cx[i] * cy[j]);
          }
        }
      } else {
        ix = apply_padding(ix, w, p);
        iy = apply_padding(iy, h, p);
        // NaN or far-out coordinates get no taps: they read zero padding.
        if (representable(ix) && representable(iy)) {
          if (p.mode == GridSampleMode::Nearest) {
            add(static_cast<int64_t>(std::nearbyint(ix)), static_cast<int64_t>(std::nearbyint(iy)), W(1));
          } else {
            W x0 = std::floor(ix), y0 = std::floor(iy);
            W tx = ix - x0, ty = iy - y0;
            int64_t xi = static_cast<int64_t>(x0), yi = static_cast<int64_t>(y0);
            add(xi, yi, (1 - tx) * (1 - ty));
            add(xi + 1, yi, tx * (1 - ty));
            add(xi, yi + 1, (1 - tx) * ty);
            add(xi + 1, yi + 1, tx * ty);
          }
        }
      }
      const T* xb = x + b * c * plane;
      T* yb = y + b * c * points + pt;
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* xc = xb + ch * plane;
        W s = 0;
        for (int k = 0; k < taps; ++k) s += wt[k] * static_cast<W>(static_cast<compute_t<T>>(xc[off[k]]));
        yb[ch * points] = static_cast<T>(static_cast<compute_t<T>>(s));
      }
    }
  });
}

template void grid_sample_2d<float>(const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                    int64_t, const GridSampleParams&, ThreadPool*);
template void grid_sample_2d<double>(const double*, const double*, double*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                     int64_t, const GridSampleParams&, ThreadPool*);
template void grid_sample_2d<Half>(const Half*, const Half*, Half*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                   int64_t, const GridSampleParams&, ThreadPool*);
template void grid_sample_2d<BFloat16>(const BFloat16*, const BFloat16*, BFloat16*, int64_t, int64_t, int64_t, int64_t,
                                       int64_t, int64_t, const GridSampleParams&, ThreadPool*);

}  // namespace lre::cpu
