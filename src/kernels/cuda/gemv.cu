// Each output column is one weight row, streamed by `slices` warps of a block (each a contiguous
// slice of the row, at most 2.5 KiB, in 16-byte packs per lane) and multiplied into every input
// row's running sum; the slices' sums meet in shared memory, where the epilogue threads finish
// the block's columns. Each block first stages the input rows in shared memory (normalised there
// when a layer norm is fused), so its warps read them from shared memory: read per warp from L2
// they cost more traffic than the weights. Launched to overlap the kernel before it
// (programmatic_launch.cuh): the weights depend on no earlier kernel, so before waiting for the
// input each warp loads its slice into registers, the epilogue threads their bias, and the norm's
// gamma and beta go to shared memory; after the wait only the input's path is left. Where the
// blocks would not all fit on the GPU at once (up to kMaxWaves waves), the resident ones also take
// the rest, asking L2 for those slices before the wait instead of leaving them to blocks that
// would start late; larger products (the vocabulary projection) keep a block per column group.
#include <algorithm>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/gemv.cuh"
#include "kernels/cuda/norm_stage.cuh"
#include "kernels/cuda/programmatic_launch.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarpsPerBlock * 32;
// The staged input rows (and a fused norm's gamma and beta): every Whisper size fits (8 rows of
// 5120 float32 is 160 KiB; the H100 and A100 give a block up to 227 and 163 KiB).
constexpr size_t kMaxStagedBytes = 160 * 1024;
// 16-byte packs per lane a warp holds in registers before the wait: its whole slice (2.5 KiB,
// which tiles every Whisper width: a 1280-wide half-precision row, or quarters of 5120).
constexpr int kEarlyPacks = 5;
constexpr int64_t kSliceBytes = kEarlyPacks * 32 * 16;
constexpr int kL2Line = 128;
// Column groups per resident block at most, past which blocks are left to the hardware scheduler:
// a block walks its groups one after another, which a product of many waves would serialise.
constexpr int64_t kMaxWaves = 8;

// Asks L2 for packs [begin, end) of a weight row, the lanes taking alternate lines.
template <typename P>
__device__ __forceinline__ void prefetch_packs(const P* row, int begin, int end, int lane) {
  const char* bytes = reinterpret_cast<const char*>(row);
  for (int b = begin * static_cast<int>(sizeof(P)) + lane * kL2Line; b < end * static_cast<int>(sizeof(P));
       b += 32 * kL2Line)
    prefetch_l2(bytes + b);
}

template <typename T, typename Y, int R, bool kNorm>
__global__ void __launch_bounds__(kThreads, R <= 2 ? 3 : 2)
    gemv_rows_kernel(const T* __restrict__ x, const T* __restrict__ w, Y* __restrict__ y, int64_t in, int64_t out,
                     float beta, GemvFusion f, int slices) {
  constexpr int kVec = kVecWidth<T>;
  using P = Pack<T, kVec>;
  const int t = static_cast<int>(threadIdx.x), lane = t % 32, warp = t / 32;
  // Pack indices fit 32 bits: the staged rows bound `in` far below 2^31.
  const int packs = static_cast<int>(in / kVec);
  const int columns = kWarpsPerBlock / slices;  // per group
  const int64_t groups = (out + columns - 1) / columns;
  const int slice_packs = (packs + slices - 1) / slices;
  const int p_begin = (warp % slices) * slice_packs, p_end = min(packs, p_begin + slice_packs);
  const int p_early_end = min(p_end, p_begin + kEarlyPacks * 32);
  // Group g's columns: this warp's, and the one thread t finishes (input row t % R of column t / R).
  const auto warp_column = [&](int64_t g) { return g * columns + warp / slices; };
  const auto finished_column = [&](int64_t g) { return g * columns + t / R; };
  const auto weight_row = [&](int64_t o) { return reinterpret_cast<const P*>(w + min(o, out - 1) * in); };
  const auto bias_of = [&](int64_t o) { return f.bias ? to_float(static_cast<const T*>(f.bias)[o]) : 0.f; };

  extern __shared__ __align__(16) unsigned char smem[];
  T* staged = reinterpret_cast<T*>(smem);  // (R, in), then gamma and beta (in each) for a norm
  T* gamma = staged + R * in;
  T* beta_ln = gamma + in;

  // Before the wait: weights only. The warp's first slice (its first 2.5 KiB in the rare rows
  // longer than 8 such slices), L2 asked for the later groups' slices, the first bias ...
  P early[kEarlyPacks];
  const auto load_slice = [&](int64_t g) {
    const P* wrow = weight_row(warp_column(g));
#pragma unroll
    for (int i = 0; i < kEarlyPacks; ++i)
      if (p_begin + lane + i * 32 < p_early_end) early[i] = wrow[p_begin + lane + i * 32];
  };
  load_slice(blockIdx.x);
  for (int64_t g = blockIdx.x + gridDim.x; g < groups; g += gridDim.x)
    prefetch_packs(weight_row(warp_column(g)), p_begin, p_end, lane);
  const auto finishes = [&](int64_t g) { return t < columns * R && finished_column(g) < out; };
  const float first_bias = finishes(blockIdx.x) ? bias_of(finished_column(blockIdx.x)) : 0.f;
  // ... and the norm's gamma and beta.
  if constexpr (kNorm) {
    for (int p = t; p < packs; p += kThreads) {
      reinterpret_cast<P*>(gamma)[p] = reinterpret_cast<const P*>(f.gamma)[p];
      reinterpret_cast<P*>(beta_ln)[p] = reinterpret_cast<const P*>(f.beta_ln)[p];
    }
  }
  allow_dependent_grids();
  wait_for_prior_grids();
  // The first group's output accumulated into, loaded now so its latency hides behind the staging.
  const auto prior_of = [&](int64_t g) { return to_float(y[(t % R) * out + finished_column(g)]); };
  const float first_prior = beta != 0.f && finishes(blockIdx.x) ? prior_of(blockIdx.x) : 0.f;

  // The input rows in shared memory: normalised there by a fused norm, else copied.
  if constexpr (kNorm) {
    stage_normalised_rows<T, R, kThreads>(f.residual, gamma, beta_ln, in, f.eps, staged);
  } else {
    for (int idx = t; idx < R * packs; idx += kThreads)
      reinterpret_cast<P*>(staged)[idx] = reinterpret_cast<const P*>(x)[idx];
    __syncthreads();
  }

  __shared__ float slice_sums[kWarpsPerBlock][R];
  for (int64_t g = blockIdx.x; g < groups; g += gridDim.x) {
    const bool first = g == blockIdx.x;
    if (!first) {
      __syncthreads();  // the last group's slice sums are read
      load_slice(g);    // from L2, asked for before the wait
    }
    if (warp_column(g) < out) {
      float acc[R];
#pragma unroll
      for (int r = 0; r < R; ++r) acc[r] = 0.f;
      const auto accumulate = [&](const P& wp, int p) {
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const P xp = reinterpret_cast<const P*>(staged + r * in)[p];
#pragma unroll
          for (int j = 0; j < kVec; ++j) acc[r] = fmaf(to_float(xp.v[j]), to_float(wp.v[j]), acc[r]);
        }
      };
#pragma unroll
      for (int i = 0; i < kEarlyPacks; ++i)
        if (p_begin + lane + i * 32 < p_early_end) accumulate(early[i], p_begin + lane + i * 32);
      // Slices past the registers' reach (rows over 8 slices of 2.5 KiB).
      const P* wrow = weight_row(warp_column(g));
#pragma unroll 4
      for (int p = p_early_end + lane; p < p_end; p += 32) accumulate(wrow[p], p);
#pragma unroll
      for (int r = 0; r < R; ++r) {
        float v = acc[r];
        for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
        if (lane == 0) slice_sums[warp][r] = v;
      }
    }
    __syncthreads();
    if (!finishes(g)) continue;
    const int64_t o = finished_column(g);
    const int c = t / R, r = t % R;
    float s = first ? first_bias : bias_of(o);
    for (int k = 0; k < slices; ++k) s += slice_sums[c * slices + k][r];
    if (f.gelu) s = 0.5f * s * (1.f + erff(s * 0.70710678118654752f));
    if (beta != 0.f) s += beta * (first ? first_prior : prior_of(g));
    y[r * out + o] = from_float<Y>(s);
    const GemvKvAppend& kv = f.kv;
    if (kv.cache_base != nullptr && o >= kv.first_col && o < kv.first_col + 2 * kv.d) {
      const int64_t pos = kv.positions[r];
      if (pos >= 0 && pos < kv.capacity) {
        const int64_t col = o - kv.first_col, which = col / kv.d;
        T* cache = reinterpret_cast<T* const*>(kv.cache_base)[r];
        cache[((kv.layer * 2 + which) * kv.capacity + pos) * kv.d + (col - which * kv.d)] = from_float<T>(s);
      }
    }
  }
}

// Warps a weight row is split over: slices of at most kSliceBytes, so a warp holds its slice in
// registers, up to the whole block.
int slices_for(int64_t in, size_t element_bytes) {
  int slices = 1;
  while (slices < kWarpsPerBlock && in * static_cast<int64_t>(element_bytes) > slices * kSliceBytes) slices *= 2;
  return slices;
}

template <typename T, typename Y, bool kNorm>
void launch_typed(const void* x, const void* w, void* y, int64_t rows, int64_t in, int64_t out, float beta,
                  cudaStream_t stream, const GemvFusion& f) {
  const int slices = slices_for(in, sizeof(T));
  const int64_t groups = (out + kWarpsPerBlock / slices - 1) / (kWarpsPerBlock / slices);
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(w);
  auto* yt = static_cast<Y*>(y);
  const size_t smem = static_cast<size_t>((rows + (kNorm ? 2 : 0)) * in) * sizeof(T);
  const auto launch = [&]<int R>() {
    constexpr auto kernel = gemv_rows_kernel<T, Y, R, kNorm>;
    allow_shared_memory<kernel>(kMaxStagedBytes);
    int device = 0, sms = 0, per_sm = 0;
    LRE_CUDA_CHECK(cudaGetDevice(&device));
    LRE_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    LRE_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem));
    const int64_t wave = std::max<int64_t>(1, static_cast<int64_t>(per_sm) * sms);
    const int64_t grid = groups <= kMaxWaves * wave ? std::min(groups, wave) : groups;
    launch_overlapped<kernel>(dim3(static_cast<unsigned>(grid)), dim3(kThreads), smem, stream, xt, wt, yt, in, out,
                              beta, f, slices);
  };
  switch (rows) {
    case 1: launch.template operator()<1>(); break;
    case 2: launch.template operator()<2>(); break;
    case 3: launch.template operator()<3>(); break;
    case 4: launch.template operator()<4>(); break;
    case 5: launch.template operator()<5>(); break;
    case 6: launch.template operator()<6>(); break;
    case 7: launch.template operator()<7>(); break;
    default: launch.template operator()<8>(); break;
  }
}

}  // namespace

bool gemv_rows_supported(DType dtype, int64_t rows, int64_t in, const void* x, const void* w) {
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  const int64_t vec = 16 / static_cast<int64_t>(dtype_size(dtype));
  // Room for the rows and a fused norm's gamma and beta.
  return rows >= 1 && rows <= kGemvMaxRows && in > 0 && in % vec == 0 && is_aligned(x, 16) && is_aligned(w, 16) &&
         static_cast<size_t>((rows + 2) * in) * dtype_size(dtype) <= kMaxStagedBytes;
}

void launch_gemv_rows(DType dtype, DType y_dtype, const void* x, const void* w, void* y, int64_t rows, int64_t in,
                      int64_t out, float beta, cudaStream_t stream, const GemvFusion& fusion) {
  const bool norm = fusion.residual != nullptr;
  const bool norm_ok = !norm || (fusion.gamma && fusion.beta_ln && is_aligned(fusion.gamma, 16) &&
                                 is_aligned(fusion.beta_ln, 16));
  const GemvKvAppend& kv = fusion.kv;
  const bool kv_ok = kv.cache_base == nullptr ||
                     (kv.positions && y_dtype == dtype && kv.d > 0 && kv.first_col >= 0 && kv.layer >= 0 &&
                      kv.capacity >= 0 && kv.first_col + 2 * kv.d <= out);
  if (!gemv_rows_supported(dtype, rows, in, norm ? fusion.residual : x, w) || !norm_ok || !kv_ok || out < 0 ||
      (y_dtype != dtype && y_dtype != DType::Float32))
    throw Error(ErrorCode::InvalidArgument,
                std::string("launch_gemv_rows: unsupported operands (") + dtype_name(dtype) + " into " +
                    dtype_name(y_dtype) + ", rows " + std::to_string(rows) + ", in " + std::to_string(in) +
                    ", out " + std::to_string(out) + ", unaligned pointers or a bad KV append)");
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
