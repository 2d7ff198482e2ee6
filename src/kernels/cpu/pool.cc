// Pooling kernels. Each output element visits the in-bounds taps of its window (dimension by
// dimension, so out-of-range rows are skipped whole); outputs are split across threads.
#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace lre::cpu {

namespace {

// Calls visit(offset) for every tap of the window at output position `oidx` that lies inside
// the input, with offset the row-major index within the plane.
template <typename F>
inline void visit_window(const WindowGeometry& g, const int64_t* oidx, size_t d, int64_t base, F& visit) {
  const int64_t start = oidx[d] * g.strides[d] - g.pads_begin[d];
  const bool last = d + 1 == g.in.size();
  for (int64_t k = 0; k < g.kernel[d]; ++k) {
    const int64_t c = start + k * g.dilations[d];
    if (c < 0 || c >= g.in[d]) continue;
    if (last) visit(base * g.in[d] + c);
    else visit_window(g, oidx, d + 1, base * g.in[d] + c, visit);
  }
}

// Taps of dimension d's window at position o that fall in [lo_limit, hi_limit).
int64_t taps_within(const WindowGeometry& g, size_t d, int64_t o, int64_t lo_limit, int64_t hi_limit) {
  const int64_t start = o * g.strides[d] - g.pads_begin[d];
  int64_t n = 0;
  for (int64_t k = 0; k < g.kernel[d]; ++k) {
    const int64_t c = start + k * g.dilations[d];
    n += c >= lo_limit && c < hi_limit;
  }
  return n;
}

// Runs body(plane, out_index, oidx) for every output element, in parallel chunks.
template <typename F>
void for_each_output(int64_t planes, const WindowGeometry& g, ThreadPool* pool, F&& body) {
  const int64_t plane_out = product(g.out), total = planes * plane_out;
  const size_t r = g.out.size();
  auto run = [&](int64_t t0, int64_t t1) {
    std::vector<int64_t> oidx(r);
    for (int64_t t = t0; t < t1; ++t) {
      int64_t rest = t % plane_out;
      for (size_t d = r; d-- > 0;) {
        oidx[d] = rest % g.out[d];
        rest /= g.out[d];
      }
      body(t / plane_out, t, oidx.data());
    }
  };
  // Aim for chunks of ~16k taps: fine enough for global pools (one window per plane).
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, product(g.kernel)));
  if (pool) pool->parallel_for(total, grain, run);
  else run(0, total);
}

}  // namespace

template <typename T>
void max_pool(const T* x, T* y, int64_t* indices, int64_t planes, const WindowGeometry& g, bool col_major,
              ThreadPool* pool) {
  const int64_t plane_in = product(g.in);
  const size_t r = g.in.size();
  for_each_output(planes, g, pool, [&](int64_t plane, int64_t t, const int64_t* oidx) {
    const T* xp = x + plane * plane_in;
    T best = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    int64_t best_at = -1;
    auto visit = [&](int64_t off) {
      if (best_at < 0 || xp[off] > best) {
        best = xp[off];
        best_at = off;
      }
    };
    visit_window(g, oidx, 0, 0, visit);
    y[t] = best;
    if (!indices) return;
    int64_t at = std::max<int64_t>(best_at, 0);
    if (col_major) {
      // Row-major offset -> coordinates -> column-major offset.
      int64_t cm = 0, rest = at;
      std::vector<int64_t> coord(r);
      for (size_t d = r; d-- > 0;) {
        coord[d] = rest % g.in[d];
        rest /= g.in[d];
      }
      for (size_t d = r; d-- > 0;) cm = cm * g.in[d] + coord[d];
      at = cm;
    }
    indices[t] = plane * plane_in + at;
  });
}

template void max_pool<float>(const float*, float*, int64_t*, int64_t, const WindowGeometry&, bool, ThreadPool*);
template void max_pool<double>(const double*, double*, int64_t*, int64_t, const WindowGeometry&, bool, ThreadPool*);
template void max_pool<int8_t>(const int8_t*, int8_t*, int64_t*, int64_t, const WindowGeometry&, bool, ThreadPool*);
template void max_pool<uint8_t>(const uint8_t*, uint8_t*, int64_t*, int64_t, const WindowGeometry&, bool, ThreadPool*);

void average_pool_f32(const float* x, float* y, int64_t planes, const WindowGeometry& g, bool count_include_pad,
                      ThreadPool* pool) {
  const int64_t plane_in = product(g.in);
  for_each_output(planes, g, pool, [&](int64_t plane, int64_t t, const int64_t* oidx) {
    const float* xp = x + plane * plane_in;
    float sum = 0.f;
    auto visit = [&](int64_t off) { sum += xp[off]; };
    visit_window(g, oidx, 0, 0, visit);
    int64_t count = 1;
    for (size_t d = 0; d < g.in.size(); ++d)
      count *= count_include_pad ? taps_within(g, d, oidx[d], -g.pads_begin[d], g.in[d] + g.pads_end[d])
                                 : taps_within(g, d, oidx[d], 0, g.in[d]);
    y[t] = count > 0 ? sum / static_cast<float>(count) : 0.f;
  });
}

void lp_pool_f32(const float* x, float* y, int64_t planes, const WindowGeometry& g, float p, ThreadPool* pool) {
  const int64_t plane_in = product(g.in);
  for_each_output(planes, g, pool, [&](int64_t plane, int64_t t, const int64_t* oidx) {
    const float* xp = x + plane * plane_in;
    double sum = 0.0;
    auto visit = [&](int64_t off) {
      double v = std::fabs(static_cast<double>(xp[off]));
      sum += p == 2.f ? v * v : std::pow(v, static_cast<double>(p));
    };
    visit_window(g, oidx, 0, 0, visit);
    y[t] = static_cast<float>(p == 2.f ? std::sqrt(sum) : std::pow(sum, 1.0 / p));
  });
}

}  // namespace lre::cpu
