// Integer gemm and im2col convolution. The gemm streams rows of b into int32 rows of c in column
// blocks that stay in L1, a loop g++ vectorises as widening multiply-adds; threads take
// (row, column block) tiles.
#include "kernels/cpu/qlinear.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/quantize.h"

namespace lre::cpu {

namespace {
constexpr int64_t kColumnBlock = 1024;
constexpr int64_t kGrain = 1 << 15;  // multiply-adds per task
}  // namespace

void gemm_s16(int64_t m, int64_t n, int64_t k, const int16_t* a, const int16_t* b, int32_t* c, ThreadPool* pool) {
  const int64_t col_blocks = (n + kColumnBlock - 1) / kColumnBlock;
  auto tiles = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t i = t / col_blocks, j0 = (t % col_blocks) * kColumnBlock, j1 = std::min(n, j0 + kColumnBlock);
      int32_t* __restrict ci = c + i * n;
      std::fill(ci + j0, ci + j1, 0);
      for (int64_t p = 0; p < k; ++p) {
        const int32_t av = a[i * k + p];
        if (av == 0) continue;
        const int16_t* __restrict bp = b + p * n;
        for (int64_t j = j0; j < j1; ++j) ci[j] += av * bp[j];
      }
    }
  };
  const int64_t tasks = m * col_blocks;
  const int64_t work_per_task = std::max<int64_t>(1, std::min(n, kColumnBlock) * k);
  if (pool && tasks > 1 && m * n * k > kGrain)
    pool->parallel_for(tasks, std::max<int64_t>(1, kGrain / work_per_task), tiles);
  else
    tiles(0, tasks);
}

template <typename Q>
void center_int8(const Q* src, int64_t n, const int32_t* zero_point, int64_t group_size, int16_t* dst) {
  for (int64_t g0 = 0; g0 < n; g0 += group_size) {
    const int32_t zp = zero_point[g0 / group_size];
    const int64_t g1 = std::min(n, g0 + group_size);
    for (int64_t i = g0; i < g1; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
  }
}

template <typename Q>
void center_int8_columns(const Q* src, int64_t rows, int64_t cols, const int32_t* zero_point, int16_t* dst) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[i * cols + j] = static_cast<int16_t>(src[i * cols + j] - zero_point[j]);
}

namespace {

// col (channels * kernel positions, out positions) of one image and one group, centred, zeros
// where the kernel reaches into padding.
template <typename Q>
void im2col(const ConvGeometry& g, const Q* x, int32_t x_zp, int64_t channels, int16_t* col, ThreadPool* pool) {
  const size_t dims = g.in_size.size();
  int64_t in_plane = 1, out_plane = 1, kernel_size = 1;
  for (size_t d = 0; d < dims; ++d) {
    in_plane *= g.in_size[d];
    out_plane *= g.out_size[d];
    kernel_size *= g.kernel[d];
  }
  auto rows = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> koff(dims), opos(dims);
    for (int64_t row = begin; row < end; ++row) {
      const Q* xc = x + (row / kernel_size) * in_plane;
      int64_t kidx = row % kernel_size;
      for (size_t d = dims; d-- > 0;) {
        koff[d] = kidx % g.kernel[d] * g.dilations[d] - g.pads_begin[d];
        kidx /= g.kernel[d];
      }
      int16_t* dst = col + row * out_plane;
      if (dims == 2) {
        // The common case, without the odometer: one bounds check per output row.
        for (int64_t oy = 0; oy < g.out_size[0]; ++oy) {
          const int64_t iy = oy * g.strides[0] + koff[0];
          int16_t* d = dst + oy * g.out_size[1];
          if (iy < 0 || iy >= g.in_size[0]) {
            std::fill_n(d, g.out_size[1], int16_t{0});
            continue;
          }
          const Q* xr = xc + iy * g.in_size[1];
          for (int64_t ox = 0; ox < g.out_size[1]; ++ox) {
            const int64_t ix = ox * g.strides[1] + koff[1];
            d[ox] = ix < 0 || ix >= g.in_size[1] ? int16_t{0} : static_cast<int16_t>(xr[ix] - x_zp);
          }
        }
        continue;
      }
      std::fill(opos.begin(), opos.end(), 0);
      for (int64_t o = 0; o < out_plane; ++o) {
        int64_t offset = 0;
        bool inside = true;
        for (size_t d = 0; d < dims; ++d) {
          const int64_t p = opos[d] * g.strides[d] + koff[d];
          inside = inside && p >= 0 && p < g.in_size[d];
          offset = offset * g.in_size[d] + p;
        }
        dst[o] = inside ? static_cast<int16_t>(xc[offset] - x_zp) : int16_t{0};
        for (size_t d = dims; d-- > 0;) {
          if (++opos[d] < g.out_size[d]) break;
          opos[d] = 0;
        }
      }
    }
  };
  const int64_t n_rows = channels * kernel_size;
  if (pool && n_rows * out_plane > kGrain)
    pool->parallel_for(n_rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(out_plane, 1)), rows);
  else
    rows(0, n_rows);
}

}  // namespace

template <typename Q>
void conv_integer(const ConvGeometry& g, const Q* x, int32_t x_zero_point, const int16_t* w, int32_t* y,
                  ThreadPool* pool) {
  int64_t in_plane = 1, out_plane = 1, kernel_size = 1;
  for (size_t d = 0; d < g.in_size.size(); ++d) {
    in_plane *= g.in_size[d];
    out_plane *= g.out_size[d];
    kernel_size *= g.kernel[d];
  }
  const int64_t cg = g.in_channels / g.group, mg = g.out_channels / g.group;
  std::vector<int16_t> col(static_cast<size_t>(cg * kernel_size * out_plane));
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t grp = 0; grp < g.group; ++grp) {
      im2col(g, x + (n * g.in_channels + grp * cg) * in_plane, x_zero_point, cg, col.data(), pool);
      gemm_s16(mg, out_plane, cg * kernel_size, w + grp * mg * cg * kernel_size, col.data(),
               y + (n * g.out_channels + grp * mg) * out_plane, pool);
    }
}

template <typename Q>
void requantize(const int32_t* acc, int64_t outer, int64_t rows, int64_t cols, const int32_t* bias,
                const float* row_scale, const float* col_scale, float zero_point, Q* y, ThreadPool* pool) {
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t i = r % rows;
      const int32_t b = bias ? bias[i] : 0;
      const float s = row_scale[i];
      const int32_t* a = acc + r * cols;
      Q* dst = y + r * cols;
      if (col_scale) {
        for (int64_t j = 0; j < cols; ++j)
          dst[j] = quantize_value<Q>(static_cast<float>(a[j] + b) * (s * col_scale[j]), zero_point);
      } else {
        for (int64_t j = 0; j < cols; ++j) dst[j] = quantize_value<Q>(static_cast<float>(a[j] + b) * s, zero_point);
      }
    }
  };
  const int64_t n_rows = outer * rows;
  if (pool && n_rows * cols > kGrain)
    pool->parallel_for(n_rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)), run);
  else
    run(0, n_rows);
}

template void center_int8<uint8_t>(const uint8_t*, int64_t, const int32_t*, int64_t, int16_t*);
template void center_int8<int8_t>(const int8_t*, int64_t, const int32_t*, int64_t, int16_t*);
template void center_int8_columns<uint8_t>(const uint8_t*, int64_t, int64_t, const int32_t*, int16_t*);
template void center_int8_columns<int8_t>(const int8_t*, int64_t, int64_t, const int32_t*, int16_t*);
template void conv_integer<uint8_t>(const ConvGeometry&, const uint8_t*, int32_t, const int16_t*, int32_t*,
                                    ThreadPool*);
template void conv_integer<int8_t>(const ConvGeometry&, const int8_t*, int32_t, const int16_t*, int32_t*, ThreadPool*);
template void requantize<uint8_t>(const int32_t*, int64_t, int64_t, int64_t, const int32_t*, const float*, const float*,
                                  float, uint8_t*, ThreadPool*);
template void requantize<int8_t>(const int32_t*, int64_t, int64_t, int64_t, const int32_t*, const float*, const float*,
                                 float, int8_t*, ThreadPool*);

}  // namespace lre::cpu
