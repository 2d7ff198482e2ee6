// One warp per output column: the lanes walk the weight row in 16-byte packs, each pack multiplied
// into every input row's running sum, then the warp reduces the sums. Inputs rows are re-read per
// output but stay in L1/L2 (at most 8 x 5120 halves); the weights stream through once. A fused
// layer norm costs each block one extra read of the (few) residual rows, which saves a kernel and
// a round trip of the normalised rows through memory.
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/gemv.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;

template <typename T, typename Y, int R, bool kNorm>
__global__ void gemv_rows_kernel(const T* __restrict__ x, const T* __restrict__ w, Y* __restrict__ y, int64_t in,
                                 int64_t out, float beta, GemvFusion f) {
  constexpr int kVec = kVecWidth<T>;
  using P = Pack<T, kVec>;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The fused norm's row statistics, one warp per row, two-pass in float32.
  __shared__ float mean[R], inv_std[R];
  if constexpr (kNorm) {
    for (int r = warp; r < R; r += kWarpsPerBlock) {
      const float* row = f.residual + r * in;
      float s = 0.f;
      for (int64_t i = lane; i < in; i += 32) s += row[i];
      for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
      const float m = s / static_cast<float>(in);
      float v = 0.f;
      for (int64_t i = lane; i < in; i += 32) v += (row[i] - m) * (row[i] - m);
      for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
      if (lane == 0) {
        mean[r] = m;
        inv_std[r] = 1.f / sqrtf(v / static_cast<float>(in) + f.eps);
      }
    }
    __syncthreads();
  }
  const int64_t o = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  if (o >= out) return;
  const P* wrow = reinterpret_cast<const P*>(w + o * in);
  const int64_t packs = in / kVec;
  float acc[R];
#pragma unroll
  for (int r = 0; r < R; ++r) acc[r] = 0.f;
  // Unrolled so each lane has several independent 16-byte loads in flight.
#pragma unroll 4
  for (int64_t p = lane; p < packs; p += 32) {
    const P wp = wrow[p];
    P gp, bp;
    if constexpr (kNorm) {
      gp = reinterpret_cast<const P*>(f.gamma)[p];
      bp = reinterpret_cast<const P*>(f.beta_ln)[p];
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float xv[kVec];
      if constexpr (kNorm) {
        const float* res = f.residual + r * in + p * kVec;
#pragma unroll
        for (int j = 0; j < kVec; ++j)
          xv[j] = to_float(from_float<T>((res[j] - mean[r]) * inv_std[r] * to_float(gp.v[j]) + to_float(bp.v[j])));
      } else {
        const P xp = reinterpret_cast<const P*>(x + r * in)[p];
#pragma unroll
        for (int j = 0; j < kVec; ++j) xv[j] = to_float(xp.v[j]);
      }
#pragma unroll
      for (int j = 0; j < kVec; ++j) acc[r] = fmaf(xv[j], to_float(wp.v[j]), acc[r]);
    }
  }
  const float bias = f.bias ? to_float(static_cast<const T*>(f.bias)[o]) : 0.f;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    float s = acc[r];
    for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
    if (lane == 0) {
      s += bias;
      if (f.gelu) s = 0.5f * s * (1.f + erff(s * 0.70710678118654752f));
      Y& dst = y[r * out + o];
      dst = from_float<Y>(beta == 0.f ? s : s + beta * to_float(dst));
    }
  }
}

template <typename T, typename Y, bool kNorm>
void launch_typed(const void* x, const void* w, void* y, int64_t rows, int64_t in, int64_t out, float beta,
                  cudaStream_t stream, const GemvFusion& f) {
  const unsigned blocks = static_cast<unsigned>((out + kWarpsPerBlock - 1) / kWarpsPerBlock);
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(w);
  auto* yt = static_cast<Y*>(y);
  const dim3 grid(blocks), block(32 * kWarpsPerBlock);
  switch (rows) {
    case 1: gemv_rows_kernel<T, Y, 1, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    case 2: gemv_rows_kernel<T, Y, 2, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    case 3: gemv_rows_kernel<T, Y, 3, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    case 4: gemv_rows_kernel<T, Y, 4, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    case 5: gemv_rows_kernel<T, Y, 5, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    case 6: gemv_rows_kernel<T, Y, 6, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    case 7: gemv_rows_kernel<T, Y, 7, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
    default: gemv_rows_kernel<T, Y, 8, kNorm><<<grid, block, 0, stream>>>(xt, wt, yt, in, out, beta, f); break;
  }
  LRE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

bool gemv_rows_supported(DType dtype, int64_t rows, int64_t in, const void* x, const void* w) {
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  const int64_t vec = 16 / static_cast<int64_t>(dtype_size(dtype));
  return rows >= 1 && rows <= kGemvMaxRows && in > 0 && in % vec == 0 && is_aligned(x, 16) && is_aligned(w, 16);
}

void launch_gemv_rows(DType dtype, DType y_dtype, const void* x, const void* w, void* y, int64_t rows, int64_t in,
                      int64_t out, float beta, cudaStream_t stream, const GemvFusion& fusion) {
  const bool norm = fusion.residual != nullptr;
  const bool norm_ok = !norm || (fusion.gamma && fusion.beta_ln && is_aligned(fusion.gamma, 16) &&
                                 is_aligned(fusion.beta_ln, 16));
  if (!gemv_rows_supported(dtype, rows, in, norm ? fusion.residual : x, w) || !norm_ok || out < 0 ||
      (y_dtype != dtype && y_dtype != DType::Float32))
    throw Error(ErrorCode::InvalidArgument,
                std::string("launch_gemv_rows: unsupported operands (") + dtype_name(dtype) + " into " +
                    dtype_name(y_dtype) + ", rows " + std::to_string(rows) + ", in " + std::to_string(in) +
                    ", out " + std::to_string(out) + ", or unaligned pointers)");
  if (out == 0) return;
  dispatch_device_float(dtype, "launch_gemv_rows", [&]<typename T>() {
    if (y_dtype == DType::Float32 && norm)
      launch_typed<T, float, true>(x, w, y, rows, in, out, beta, stream, fusion);
    else if (y_dtype == DType::Float32)
      launch_typed<T, float, false>(x, w, y, rows, in, out, beta, stream, fusion);
    else if (norm)
      launch_typed<T, T, true>(x, w, y, rows, in, out, beta, stream, fusion);
    else
      launch_typed<T, T, false>(x, w, y, rows, in, out, beta, stream, fusion);
  });
}

}  // namespace lre::cuda
