// Layer, instance and batch normalisation kernels, float32 arithmetic for every float dtype.
// Layer and instance norm share one row kernel: a row of up to 16384 elements is read once into
// registers (a warp per row up to 1024, a block per row beyond) and both statistics are taken
// there, two-pass; longer rows stream from memory three times. Sums are of the values less the
// row's first element, so a large common offset does not swamp them in float32. Batch norm is a
// per-channel affine map whose coefficients are computed in double once per plane, as on the CPU.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/launch_checks.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/normalization.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

// Where the affine step after normalising finds its parameters: per column (layer norm) or per
// row, by the row's channel (instance norm, rows = n * channels).
enum class Affine { PerColumn, PerRow };

// Applies the normalisation to value v of column `col` of a row, with the CPU's arithmetic: layer
// norm as ((x - mean) * inv_std) * scale + bias, instance norm folded into x * a + b with a and b
// computed in double from the float32 statistics (x * a then cancels against b exactly where the
// CPU's does, e.g. planes of one element). Products are kept out of fused multiply-adds so both
// backends round alike.
template <Affine kAffine, typename T>
struct RowAffine {
  float mean, inv;  // layer norm
  float a, b;       // instance norm

  __device__ __forceinline__ RowAffine(float m, float var, float eps, const T* scale, const T* bias, int64_t row,
                                       int64_t channels)
      : mean(m), inv(0.f), a(0.f), b(0.f) {
    if constexpr (kAffine == Affine::PerRow) {
      const int64_t c = row % channels;
      const double ad = static_cast<double>(to_float(scale[c])) / sqrt(static_cast<double>(var) + static_cast<double>(eps));
      a = static_cast<float>(ad);
      b = static_cast<float>(static_cast<double>(to_float(bias[c])) - static_cast<double>(m) * ad);
    } else {
      inv = 1.f / sqrtf(var + eps);
    }
  }

  __device__ __forceinline__ float operator()(float v, int64_t col, const T* scale, const T* bias) const {
    if constexpr (kAffine == Affine::PerRow) {
      return __fmul_rn(v, a) + b;
    } else {
      const float n = __fmul_rn(__fmul_rn(v - mean, inv), to_float(scale[col]));
      return bias ? n + to_float(bias[col]) : n;
    }
  }
};

// Rows whose kFloats * group-size elements fit in registers. The group is a warp (blockDim
// (32, rows per block)) or the whole block (blockDim (threads, 1)); thread t of the group owns the
// packs t, t + group, ... of its row, kVec elements each.
template <typename T, int kVec, int kFloats, Affine kAffine>
__global__ void __launch_bounds__(kFloats <= 8 ? 1024 : 512)
    row_norm_cached_kernel(const T* x, const T* scale, const T* bias, T* y, int64_t rows, int64_t cols,
                           int64_t channels, float eps) {
  constexpr int kPer = kFloats / kVec;
  using P = Pack<T, kVec>;
  __shared__ float shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), group = static_cast<int>(blockDim.x);
  const int64_t packs = cols / kVec;
  const int64_t row_step = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    const P* xr = reinterpret_cast<const P*>(x + r * cols);
    const float shift = to_float(x[r * cols]);
    float v[kPer][kVec];
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int64_t p = t + static_cast<int64_t>(i) * group;
      if (p < packs) {
        const P pk = xr[p];
#pragma unroll
        for (int k = 0; k < kVec; ++k) {
          v[i][k] = to_float(pk.v[k]);
          sum += v[i][k] - shift;
        }
      }
    }
    const float mean = shift + group_reduce(sum, SumOp{}, 0.f, shared) / static_cast<float>(cols);
    float sq = 0.f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      if (t + static_cast<int64_t>(i) * group < packs) {
#pragma unroll
        for (int k = 0; k < kVec; ++k) {
          const float d = v[i][k] - mean;
          sq += d * d;
        }
      }
    }
    const float var = group_reduce(sq, SumOp{}, 0.f, shared) / static_cast<float>(cols);
    const RowAffine<kAffine, T> affine(mean, var, eps, scale, bias, r, channels);
    P* yr = reinterpret_cast<P*>(y + r * cols);
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int64_t p = t + static_cast<int64_t>(i) * group;
      if (p < packs) {
        P out;
#pragma unroll
        for (int k = 0; k < kVec; ++k) out.v[k] = from_float<T>(affine(v[i][k], p * kVec + k, scale, bias));
        yr[p] = out;
      }
    }
  }
}

// Rows too long for registers: one block per row, sweeping it for the mean, the variance and the
// output (the later sweeps mostly hit L2).
template <typename T, Affine kAffine>
__global__ void __launch_bounds__(1024) row_norm_streaming_kernel(const T* x, const T* scale, const T* bias, T* y,
                                                                  int64_t rows, int64_t cols, int64_t channels,
                                                                  float eps) {
  __shared__ float shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * cols;
    const float shift = to_float(xr[0]);
    float sum = 0.f;
    for_each_in_row(xr, cols, t, threads, [&](T v, int64_t) { sum += to_float(v) - shift; });
    const float mean = shift + block_reduce(sum, SumOp{}, 0.f, shared) / static_cast<float>(cols);
    float sq = 0.f;
    for_each_in_row(xr, cols, t, threads, [&](T v, int64_t) {
      const float d = to_float(v) - mean;
      sq += d * d;
    });
    const float var = block_reduce(sq, SumOp{}, 0.f, shared) / static_cast<float>(cols);
    const RowAffine<kAffine, T> affine(mean, var, eps, scale, bias, r, channels);
    map_row(xr, y + r * cols, cols, t, threads, [&](float v, int64_t c) { return affine(v, c, scale, bias); });
  }
}

constexpr int kRowsPerWarpBlock = kBlockThreads / kWarpSize;
constexpr int64_t kMaxRowBlocks = 4096;

template <typename T, int kVec, int kFloats, Affine kAffine>
void launch_cached(const T* x, const T* scale, const T* bias, T* y, int64_t rows, int64_t cols, int64_t channels,
                   float eps, int group, cudaStream_t stream) {
  if (group == kWarpSize) {
    const unsigned grid = grid_for(rows * kWarpSize);
    row_norm_cached_kernel<T, kVec, kFloats, kAffine>
        <<<grid, dim3(kWarpSize, kRowsPerWarpBlock), 0, stream>>>(x, scale, bias, y, rows, cols, channels, eps);
  } else {
    const unsigned grid = static_cast<unsigned>(std::min(rows, kMaxRowBlocks));
    row_norm_cached_kernel<T, kVec, kFloats, kAffine>
        <<<grid, group, 0, stream>>>(x, scale, bias, y, rows, cols, channels, eps);
  }
  LRE_CUDA_CHECK_LAUNCH();
}

template <typename T, int kVec, Affine kAffine>
void launch_cached_vec(const T* x, const T* scale, const T* bias, T* y, int64_t rows, int64_t cols, int64_t channels,
                       float eps, int group, int floats, cudaStream_t stream) {
  if (floats == 8) launch_cached<T, kVec, 8, kAffine>(x, scale, bias, y, rows, cols, channels, eps, group, stream);
  else launch_cached<T, kVec, 32, kAffine>(x, scale, bias, y, rows, cols, channels, eps, group, stream);
}

// Rows at most this many are too few to fill the GPU with narrow blocks; they get wide ones,
// which finish each row sooner (a decoder step normalises a handful of rows).
constexpr int64_t kFewRows = 1024;

// Picks the row kernel: a warp per row up to 1024 columns, a block per row with the row in
// registers up to 16384, the streaming kernel beyond.
template <typename T, Affine kAffine>
void launch_row_norm(const void* xv, const void* sv, const void* bv, void* yv, int64_t rows, int64_t cols,
                     int64_t channels, float eps, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  const T* scale = static_cast<const T*>(sv);
  const T* bias = static_cast<const T*>(bv);
  T* y = static_cast<T*>(yv);
  if (cols > 32 * 512) {
    const unsigned grid = static_cast<unsigned>(std::min(rows, kMaxRowBlocks));
    row_norm_streaming_kernel<T, kAffine><<<grid, 1024, 0, stream>>>(x, scale, bias, y, rows, cols, channels, eps);
    LRE_CUDA_CHECK_LAUNCH();
    return;
  }
  // Up to 8 values a thread for few rows, up to 32 for many (blocks of 64 to 512 threads, so more
  // rows are in flight and fewer barriers are paid per byte).
  int group = kWarpSize, floats = cols <= 8 * kWarpSize ? 8 : 32;
  if (cols > 32 * kWarpSize && rows < kFewRows && cols <= 8 * 1024)
    group = std::clamp(pow2_at_least((cols + 7) / 8), 128, 1024), floats = 8;
  else if (cols > 32 * kWarpSize)
    group = std::clamp(pow2_at_least((cols + 31) / 32), 64, 512), floats = 32;
  constexpr int kVec = kVecWidth<T>;
  const int width = kAffine == Affine::PerRow ? row_pack_width<T>(cols, {x, y})
                                               : row_pack_width<T>(cols, {x, y, scale, bias});
  auto launch = [&]<int kWidth>() {
    launch_cached_vec<T, kWidth, kAffine>(x, scale, bias, y, rows, cols, channels, eps, group, floats, stream);
  };
  if (width == kVec) launch.template operator()<kVec>();
  else if (width == kVec / 2) launch.template operator()<kVec / 2>();
  else launch.template operator()<1>();
}

// Block (cols, planes): the threads of row ty share plane p's coefficients, which thread (0, ty)
// computes in double into shared memory. Every thread runs the same number of plane iterations,
// so the barriers are reached by all.
template <typename T, int kVec>
__global__ void __launch_bounds__(kBlockThreads)
    batch_norm_kernel(const T* x, const T* scale, const T* bias, const T* mean, const T* var, T* y, int64_t planes,
                      int64_t channels, int64_t packs, float eps) {
  using P = Pack<T, kVec>;
  __shared__ float2 coef[kBlockThreads];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t plane_step = static_cast<int64_t>(gridDim.y) * blockDim.y;
  const int64_t col_step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p0 = static_cast<int64_t>(blockIdx.y) * blockDim.y; p0 < planes; p0 += plane_step) {
    const int64_t p = p0 + ty;
    __syncthreads();  // the previous planes' coefficients have been read
    if (tx == 0 && p < planes) {
      const int64_t c = p % channels;
      const double s = static_cast<double>(to_float(scale[c])) /
                       sqrt(static_cast<double>(to_float(var[c])) + static_cast<double>(eps));
      coef[ty] = make_float2(static_cast<float>(s),
                             static_cast<float>(static_cast<double>(to_float(bias[c])) -
                                                static_cast<double>(to_float(mean[c])) * s));
    }
    __syncthreads();
    if (p >= planes) continue;
    const float a = coef[ty].x, b = coef[ty].y;
    const P* xp = reinterpret_cast<const P*>(x) + p * packs;
    P* yp = reinterpret_cast<P*>(y) + p * packs;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + tx; i < packs; i += col_step) {
      P v = xp[i];
#pragma unroll
      for (int k = 0; k < kVec; ++k) v.v[k] = from_float<T>(__fmul_rn(to_float(v.v[k]), a) + b);
      yp[i] = v;
    }
  }
}

template <typename T, int kVec>
void launch_batch_norm_vec(const void* x, const void* scale, const void* bias, const void* mean, const void* var,
                           void* y, int64_t planes, int64_t channels, int64_t spatial, float eps, cudaStream_t stream) {
  const int64_t packs = spatial / kVec;
  const int bx = std::min(kBlockThreads, pow2_at_least(packs));
  const int by = kBlockThreads / bx;
  const unsigned gx = static_cast<unsigned>(std::min<int64_t>((packs + bx - 1) / bx, kMaxBlocks));
  const unsigned gy = static_cast<unsigned>(std::min<int64_t>((planes + by - 1) / by, 65535));
  batch_norm_kernel<T, kVec><<<dim3(gx, gy), dim3(bx, by), 0, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(scale), static_cast<const T*>(bias),
      static_cast<const T*>(mean), static_cast<const T*>(var), static_cast<T*>(y), planes, channels, packs, eps);
  LRE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_layer_norm(DType dtype, const void* x, const void* scale, const void* bias, void* y, int64_t rows,
                       int64_t cols, float eps, cudaStream_t stream) {
  check_sizes("launch_layer_norm", {rows, cols});
  check_param("launch_layer_norm", "scale", scale);
  if (rows == 0 || cols == 0) return;
  dispatch_device_float(dtype, "launch_layer_norm", [&]<typename T>() {
    launch_row_norm<T, Affine::PerColumn>(x, scale, bias, y, rows, cols, 1, eps, stream);
  });
}

void launch_instance_norm(DType dtype, const void* x, const void* scale, const void* bias, void* y, int64_t n,
                          int64_t channels, int64_t spatial, float eps, cudaStream_t stream) {
  check_sizes("launch_instance_norm", {n, channels, spatial});
  check_param("launch_instance_norm", "scale", scale);
  check_param("launch_instance_norm", "bias", bias);
  if (n == 0 || channels == 0 || spatial == 0) return;
  dispatch_device_float(dtype, "launch_instance_norm", [&]<typename T>() {
    launch_row_norm<T, Affine::PerRow>(x, scale, bias, y, n * channels, spatial, channels, eps, stream);
  });
}

void launch_batch_norm(DType dtype, const void* x, const void* scale, const void* bias, const void* mean,
                       const void* var, void* y, int64_t n, int64_t channels, int64_t spatial, float eps,
                       cudaStream_t stream) {
  check_sizes("launch_batch_norm", {n, channels, spatial});
  check_param("launch_batch_norm", "scale", scale);
  check_param("launch_batch_norm", "bias", bias);
  check_param("launch_batch_norm", "mean", mean);
  check_param("launch_batch_norm", "var", var);
  if (n == 0 || channels == 0 || spatial == 0) return;
  dispatch_device_float(dtype, "launch_batch_norm", [&]<typename T>() {
    constexpr int kVec = kVecWidth<T>;
    if (spatial % kVec == 0 && is_aligned(x, 16) && is_aligned(y, 16))
      launch_batch_norm_vec<T, kVec>(x, scale, bias, mean, var, y, n * channels, channels, spatial, eps, stream);
    else
      launch_batch_norm_vec<T, 1>(x, scale, bias, mean, var, y, n * channels, channels, spatial, eps, stream);
  });
}

}  // namespace lre::cuda
