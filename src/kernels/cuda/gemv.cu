// One warp per output column: the lanes walk the weight row in 16-byte packs, each pack multiplied
// into every input row's running sum, then the warp reduces the sums. Each block first stages the
// input rows in shared memory (normalised there when a layer norm is fused), so the eight warps
// read them from shared memory: read per warp from L2 they cost more traffic than the weights
// (a fused norm reads float32 residuals, gammas and betas: four times a half-type weight row).
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/gemv.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;
// The staged input rows: every Whisper size fits (8 rows of 5120 float32 is 160 KiB; the H100 and
// A100 give a block up to 227 and 163 KiB).
constexpr size_t kMaxStagedBytes = 160 * 1024;

template <typename T, typename Y, int R, bool kNorm>
__global__ void gemv_rows_kernel(const T* __restrict__ x, const T* __restrict__ w, Y* __restrict__ y, int64_t in,
                                 int64_t out, float beta, GemvFusion f) {
  constexpr int kVec = kVecWidth<T>;
  using P = Pack<T, kVec>;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The fused norm's row statistics, each row reduced by the whole block (a warp alone would
  // leave the other seven idle for the length of a serial walk over the row, which costs more
  // than the product itself for a 1280-wide row). Single pass over values less the row's first
  // one, so a large common offset does not cancel the variance away in float32.
  __shared__ float mean[R], inv_std[R];
  if constexpr (kNorm) {
    __shared__ float partial[2][kWarpsPerBlock];
    for (int r = 0; r < R; ++r) {
      const float* row = f.residual + r * in;
      const float shift = row[0];
      float s = 0.f, q = 0.f;
      for (int64_t i = threadIdx.x; i < in; i += blockDim.x) {
        const float v = row[i] - shift;
        s += v;
        q += v * v;
      }
      for (int offset = 16; offset > 0; offset /= 2) {
        s += __shfl_xor_sync(0xffffffffu, s, offset);
        q += __shfl_xor_sync(0xffffffffu, q, offset);
      }
      if (lane == 0) {
        partial[0][warp] = s;
        partial[1][warp] = q;
      }
      __syncthreads();
      if (warp == 0) {
        s = lane < kWarpsPerBlock ? partial[0][lane] : 0.f;
        q = lane < kWarpsPerBlock ? partial[1][lane] : 0.f;
        for (int offset = 16; offset > 0; offset /= 2) {
          s += __shfl_xor_sync(0xffffffffu, s, offset);
          q += __shfl_xor_sync(0xffffffffu, q, offset);
        }
        if (lane == 0) {
          const float m = s / static_cast<float>(in);
          const float var = fmaxf(q / static_cast<float>(in) - m * m, 0.f);
          mean[r] = shift + m;
          inv_std[r] = 1.f / sqrtf(var + f.eps);
        }
      }
      __syncthreads();  // partial is reused by the next row; mean and inv_std are read below
    }
  }
  // Stage the input rows, rounded to T as a separate norm would store them.
  extern __shared__ __align__(16) unsigned char staged_bytes[];
  T* staged = reinterpret_cast<T*>(staged_bytes);
  const int64_t packs = in / kVec;
  for (int64_t idx = threadIdx.x; idx < R * packs; idx += blockDim.x) {
    const int r = static_cast<int>(idx / packs);
    const int64_t p = idx % packs;
    P xp;
    if constexpr (kNorm) {
      const P gp = reinterpret_cast<const P*>(f.gamma)[p], bp = reinterpret_cast<const P*>(f.beta_ln)[p];
      const float* res = f.residual + r * in + p * kVec;
#pragma unroll
      for (int j = 0; j < kVec; ++j)
        xp.v[j] = from_float<T>((res[j] - mean[r]) * inv_std[r] * to_float(gp.v[j]) + to_float(bp.v[j]));
    } else {
      xp = reinterpret_cast<const P*>(x + r * in)[p];
    }
    reinterpret_cast<P*>(staged + r * in)[p] = xp;
  }
  __syncthreads();

  const int64_t o = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  if (o >= out) return;
  const P* wrow = reinterpret_cast<const P*>(w + o * in);
  float acc[R];
#pragma unroll
  for (int r = 0; r < R; ++r) acc[r] = 0.f;
  // Unrolled so each lane has several independent 16-byte loads in flight.
#pragma unroll 4
  for (int64_t p = lane; p < packs; p += 32) {
    const P wp = wrow[p];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const P xp = reinterpret_cast<const P*>(staged + r * in)[p];
#pragma unroll
      for (int j = 0; j < kVec; ++j) acc[r] = fmaf(to_float(xp.v[j]), to_float(wp.v[j]), acc[r]);
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

// Shared memory past the default 48 KiB must be asked for per kernel; the opt-in is made once, at
// the first launch that needs it.
template <typename Kernel, typename... Args>
void launch_kernel(Kernel kernel, dim3 grid, dim3 block, size_t smem, cudaStream_t stream, Args... args) {
  if (smem > 48 * 1024) {
    static const cudaError_t opted =
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kMaxStagedBytes));
    LRE_CUDA_CHECK(opted);
  }
  kernel<<<grid, block, smem, stream>>>(args...);
}

template <typename T, typename Y, bool kNorm>
void launch_typed(const void* x, const void* w, void* y, int64_t rows, int64_t in, int64_t out, float beta,
                  cudaStream_t stream, const GemvFusion& f) {
  const unsigned blocks = static_cast<unsigned>((out + kWarpsPerBlock - 1) / kWarpsPerBlock);
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(w);
  auto* yt = static_cast<Y*>(y);
  const dim3 grid(blocks), block(32 * kWarpsPerBlock);
  const size_t smem = static_cast<size_t>(rows * in) * sizeof(T);
  switch (rows) {
    case 1: launch_kernel(gemv_rows_kernel<T, Y, 1, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    case 2: launch_kernel(gemv_rows_kernel<T, Y, 2, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    case 3: launch_kernel(gemv_rows_kernel<T, Y, 3, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    case 4: launch_kernel(gemv_rows_kernel<T, Y, 4, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    case 5: launch_kernel(gemv_rows_kernel<T, Y, 5, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    case 6: launch_kernel(gemv_rows_kernel<T, Y, 6, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    case 7: launch_kernel(gemv_rows_kernel<T, Y, 7, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
    default: launch_kernel(gemv_rows_kernel<T, Y, 8, kNorm>, grid, block, smem, stream, xt, wt, yt, in, out, beta, f); break;
  }
  LRE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

bool gemv_rows_supported(DType dtype, int64_t rows, int64_t in, const void* x, const void* w) {
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  const int64_t vec = 16 / static_cast<int64_t>(dtype_size(dtype));
  return rows >= 1 && rows <= kGemvMaxRows && in > 0 && in % vec == 0 && is_aligned(x, 16) && is_aligned(w, 16) &&
         static_cast<size_t>(rows * in) * dtype_size(dtype) <= kMaxStagedBytes;
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
