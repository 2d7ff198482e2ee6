// Convolution kernels. Each (image, group) is one SGEMM: W_g (Mg, Cg*K) x col (Cg*K, P), where col
// holds the input patches (im2col). Depthwise convolution (one input channel per group) skips the
// patch matrix and slides the window directly, vectorised along the last spatial dimension.
#include "kernels/cpu/conv.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/matmul.h"

namespace lre::cpu {

namespace {

// Products below this many flops are not worth a thread hand-off inside the SGEMM; groups and
// images then run side by side instead.
constexpr double kSmallGemmFlops = 4e6;

// The input row (over all but the last spatial dimension) that output position oidx reads through
// kernel position kidx, as a row index in xoff; false when that row lies in the padding.
bool leading_input_row(const WindowGeometry& g, const std::vector<int64_t>& oidx, const std::vector<int64_t>& kidx,
                       int64_t& xoff) {
  bool inside = true;
  xoff = 0;
  for (size_t d = 0; d + 1 < oidx.size(); ++d) {
    const int64_t iv = oidx[d] * g.strides[d] - g.pads_begin[d] + kidx[d] * g.dilations[d];
    inside = inside && iv >= 0 && iv < g.in[d];
    xoff = xoff * g.in[d] + iv;
  }
  return inside;
}

// One channel's patches: col (prod(kernel), prod(out)) gathers the image, zero where the window
// hits padding; kScatter does the adjoint, adding col back into the image (col2im).
template <typename T, bool kScatter>
void patches_channel(std::conditional_t<kScatter, T*, const T*> image, std::conditional_t<kScatter, const T*, T*> col,
                     const WindowGeometry& g) {
  const size_t r = static_cast<size_t>(g.rank());
  const int64_t plane = product(g.out), ow_count = g.out[r - 1], width = g.in[r - 1];
  const int64_t s = g.strides[r - 1];
  std::vector<int64_t> kidx(r, 0), oidx(r, 0);
  int64_t row = 0;
  do {
    std::conditional_t<kScatter, const T*, T*> crow = col + row * plane;
    const int64_t offset = kidx[r - 1] * g.dilations[r - 1] - g.pads_begin[r - 1];
    int64_t lo, hi;
    valid_range(offset, s, width, ow_count, lo, hi);
    std::fill(oidx.begin(), oidx.end(), 0);
    int64_t o = 0;
    do {
      int64_t xoff = 0;
      const bool inside = leading_input_row(g, oidx, kidx, xoff);
      auto seg = crow + o * ow_count;
      if constexpr (kScatter) {
        if (inside) {
          T* xrow = image + xoff * width + offset;
          for (int64_t ow = lo; ow < hi; ++ow) xrow[ow * s] += seg[ow];
        }
      } else {
        if (!inside) {
          std::fill(seg, seg + ow_count, T(0));
        } else {
          const T* xrow = image + xoff * width + offset;
          std::fill(seg, seg + lo, T(0));
          if (s == 1) std::copy(xrow + lo, xrow + hi, seg + lo);
          else for (int64_t ow = lo; ow < hi; ++ow) seg[ow] = xrow[ow * s];
          std::fill(seg + hi, seg + ow_count, T(0));
        }
      }
      ++o;
    } while (next_index(oidx, g.out, r - 1));
    ++row;
  } while (next_index(kidx, g.kernel, r));
}

// col (channels * prod(kernel), prod(out)) from x (channels, in...), channels in parallel.
template <typename T>
void im2col(const T* x, int64_t channels, const WindowGeometry& g, T* col, ThreadPool* pool) {
  const int64_t image = product(g.in), rows = product(g.kernel) * product(g.out);
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) patches_channel<T, false>(x + c * image, col + c * rows, g);
  };
  if (pool) pool->parallel_for(channels, 1, run);
  else run(0, channels);
}

bool is_pointwise(const WindowGeometry& g) {
  for (int64_t d = 0; d < g.rank(); ++d)
    if (g.kernel[d] != 1 || g.strides[d] != 1 || g.pads_begin[d] != 0 || g.in[d] != g.out[d]) return false;
  return true;
}

// y_c (out...) = bias + sum over the window of w_c * x_c, for one channel of a depthwise conv.
void depthwise_channel(const float* x, const float* w, float bias, float* y, const WindowGeometry& g) {
  const size_t r = static_cast<size_t>(g.rank());
  const int64_t ow_count = g.out[r - 1], width = g.in[r - 1], s = g.strides[r - 1], kw_count = g.kernel[r - 1];
  std::fill(y, y + product(g.out), bias);
  std::vector<int64_t> oidx(r, 0), kidx(r, 0);
  int64_t o = 0;
  do {
    float* yrow = y + o * ow_count;
    std::fill(kidx.begin(), kidx.end(), 0);
    int64_t klead = 0;  // index of the kernel row over the leading dimensions
    do {
      int64_t xoff = 0;
      const bool inside = leading_input_row(g, oidx, kidx, xoff);
      if (inside) {
        for (int64_t kw = 0; kw < kw_count; ++kw) {
          const int64_t offset = kw * g.dilations[r - 1] - g.pads_begin[r - 1];
          int64_t lo, hi;
          valid_range(offset, s, width, ow_count, lo, hi);
          const float wv = w[klead * kw_count + kw];
          const float* xrow = x + xoff * width + offset;
          if (s == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) yrow[ow] += wv * xrow[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) yrow[ow] += wv * xrow[ow * s];
          }
        }
      }
      ++klead;
    } while (next_index(kidx, g.kernel, r - 1));
    ++o;
  } while (next_index(oidx, g.out, r - 1));
}

// Adds one bias value per output channel to (channels, plane) output rows.
void add_channel_bias(float* y, const float* bias, int64_t channels, int64_t plane) {
  for (int64_t m = 0; m < channels; ++m)
    for (int64_t p = 0; p < plane; ++p) y[m * plane + p] += bias[m];
}

// Runs one(task, pool_for_the_gemm, scratch) for every (image, group) task: big tasks one after
// another with the pool inside their gemm, small ones spread across the pool.
template <typename F>
void run_conv_tasks(int64_t tasks, double flops, ThreadPool* pool, F&& one) {
  if (!pool || tasks == 1 || flops > kSmallGemmFlops) {
    std::vector<float> col;
    for (int64_t t = 0; t < tasks; ++t) one(t, pool, col);
    return;
  }
  pool->parallel_for(tasks, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> col;
    for (int64_t t = t0; t < t1; ++t) one(t, nullptr, col);
  });
}

}  // namespace

void conv_f32(const float* x, const float* w, const float* bias, float* y, int64_t batch, int64_t channels,
              int64_t out_channels, int64_t group, const WindowGeometry& g, ThreadPool* pool) {
  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t ksize = product(g.kernel), plane = product(g.out), image = product(g.in);
  if (batch == 0 || out_channels == 0 || plane == 0) return;

  if (cg == 1) {
    auto run = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        int64_t n = t / out_channels, m = t % out_channels;
        depthwise_channel(x + (n * channels + m / mg) * image, w + m * ksize, bias ? bias[m] : 0.f,
                          y + t * plane, g);
      }
    };
    if (pool) pool->parallel_for(batch * out_channels, 1, run);
    else run(0, batch * out_channels);
    return;
  }

  const int64_t kdim = cg * ksize;
  const bool pointwise = is_pointwise(g);
  const double flops = 2.0 * static_cast<double>(mg) * kdim * plane;
  // One (image, group) product; `inner` parallelises inside it, `col` is its patch buffer.
  auto one = [&](int64_t t, ThreadPool* inner, std::vector<float>& col) {
    int64_t n = t / group, gi = t % group;
    const float* xg = x + (n * channels + gi * cg) * image;
    const float* patches = xg;
    if (!pointwise) {
      col.resize(static_cast<size_t>(kdim * plane));
      im2col(xg, cg, g, col.data(), inner);
      patches = col.data();
    }
    float* yg = y + (n * out_channels + gi * mg) * plane;
    gemm_f32(false, false, mg, plane, kdim, 1.f, w + gi * mg * kdim, kdim, patches, plane, 0.f, yg, plane, inner);
    if (bias) add_channel_bias(yg, bias + gi * mg, mg, plane);
  };
  run_conv_tasks(batch * group, flops, pool, one);
}

void conv_i32(const int32_t* x, const int32_t* w, int32_t* y, int64_t batch, int64_t channels, int64_t out_channels,
              int64_t group, const WindowGeometry& g, ThreadPool* pool) {
  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t ksize = product(g.kernel), plane = product(g.out), image = product(g.in), kdim = cg * ksize;
  if (batch == 0 || out_channels == 0 || plane == 0) return;
  auto run = [&](int64_t t0, int64_t t1) {
    std::vector<int32_t> col(static_cast<size_t>(kdim * plane));
    for (int64_t t = t0; t < t1; ++t) {
      int64_t n = t / group, gi = t % group;
      im2col(x + (n * channels + gi * cg) * image, cg, g, col.data(), nullptr);
      matmul_loop<int32_t, int32_t>(w + gi * mg * kdim, col.data(), y + (n * out_channels + gi * mg) * plane, mg,
                                    plane, kdim);
    }
  };
  if (pool) pool->parallel_for(batch * group, 1, run);
  else run(0, batch * group);
}

void conv_transpose_f32(const float* x, const float* w, const float* bias, float* y, int64_t batch,
                        int64_t channels, int64_t out_channels, int64_t group, const WindowGeometry& g,
                        ThreadPool* pool) {
  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t ksize = product(g.kernel), in_plane = product(g.out), out_plane = product(g.in);
  if (batch == 0 || out_channels == 0 || out_plane == 0) return;
  const int64_t rows = mg * ksize;
  const double flops = 2.0 * static_cast<double>(rows) * cg * in_plane;
  auto one = [&](int64_t t, ThreadPool* inner, std::vector<float>& col) {
    int64_t n = t / group, gi = t % group;
    float* yg = y + (n * out_channels + gi * mg) * out_plane;
    std::fill(yg, yg + mg * out_plane, 0.f);
    if (in_plane > 0 && cg > 0) {
      col.resize(static_cast<size_t>(rows * in_plane));
      // col (Mg*K, P_in) = W_g^T (Mg*K, Cg) x X_g (Cg, P_in); W_g is stored (Cg, Mg*K).
      gemm_f32(true, false, rows, in_plane, cg, 1.f, w + gi * cg * rows, rows, x + (n * channels + gi * cg) * in_plane,
               in_plane, 0.f, col.data(), in_plane, inner);
      auto scatter = [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
          patches_channel<float, true>(yg + m * out_plane, col.data() + m * ksize * in_plane, g);
      };
      if (inner) inner->parallel_for(mg, 1, scatter);
      else scatter(0, mg);
    }
    if (bias) add_channel_bias(yg, bias + gi * mg, mg, out_plane);
  };
  run_conv_tasks(batch * group, flops, pool, one);
}

}  // namespace lre::cpu
