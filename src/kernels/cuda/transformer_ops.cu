// Fused element-wise and row kernels of the native Whisper transformer, float32 arithmetic for
// every float dtype. Each saves a pass over memory against composing generic ops: the residual
// bias rides along with the layer norm, the conv bias with its GELU, the positions with the
// embedding lookup. The row kernels move packs where sizes and pointers allow (16 bytes; 4 elements
// where a float32 side sets the width) and single elements otherwise, so no alignment is required;
// im2col stages tiles through shared memory so both its reads and its writes coalesce.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/launch_checks.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/transformer_ops.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

// Elements a pack holds in the vectorised paths: 4, so the float32 side (residual, embeddings'
// output) moves 16 bytes per access whatever T is.
constexpr int kRowVec = 4;

// Whether rows of n elements can be walked in packs of kRowVec: n divisible and every pointer
// (each with its own element size) aligned to a pack.
bool rows_take_packs(int64_t n, std::initializer_list<std::pair<const void*, size_t>> pointers) {
  if (n % kRowVec != 0) return false;
  for (const auto& [p, elem] : pointers)
    if (!is_aligned(p, kRowVec * elem)) return false;
  return true;
}

// Launch geometry of the (row, pack) kernels: blockDim.x threads walk a row's packs, blockDim.y
// rows share a block, so short rows do not leave most of a block idle; both grid dimensions loop.
struct RowGrid {
  dim3 grid, block;
};
RowGrid row_grid(int64_t rows, int64_t packs) {
  const int bx = std::min(kBlockThreads, pow2_at_least(packs));
  const int by = kBlockThreads / bx;
  const auto gx = static_cast<unsigned>(std::min<int64_t>((packs + bx - 1) / bx, kMaxBlocks));
  const auto gy = static_cast<unsigned>(std::min<int64_t>((rows + by - 1) / by, 65535));
  return {dim3(gx, gy), dim3(bx, by)};
}

// ---- residual + layer norm ----

// Rows up to 32 * kPer * kVec elements: a warp per row (blockDim (32, rows per block)), the row in
// registers, so the bias add, both statistics (two-pass) and the output cost one read of the
// residual (and one write back when there is a bias).
template <typename T, int kVec, int kPer>
__global__ void __launch_bounds__(kBlockThreads)
    residual_layer_norm_warp_per_row_kernel(float* residual, const T* bias, const T* gamma, const T* beta, T* out,
                                            int64_t rows, int64_t d, float eps) {
  using F = Pack<float, kVec>;
  using P = Pack<T, kVec>;
  const int lane = static_cast<int>(threadIdx.x);
  const int64_t packs = d / kVec;
  const int64_t row_step = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    F* xr = reinterpret_cast<F*>(residual + r * d);
    float v[kPer][kVec];
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int64_t p = lane + static_cast<int64_t>(i) * kWarpSize;
      if (p < packs) {
        F x = xr[p];
        if (bias != nullptr) {
          const P b = reinterpret_cast<const P*>(bias)[p];
#pragma unroll
          for (int k = 0; k < kVec; ++k) x.v[k] += to_float(b.v[k]);
          xr[p] = x;
        }
#pragma unroll
        for (int k = 0; k < kVec; ++k) {
          v[i][k] = x.v[k];
          sum += x.v[k];
        }
      }
    }
    const float mean = warp_reduce(sum, SumOp{}) / static_cast<float>(d);
    float sq = 0.f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      if (lane + static_cast<int64_t>(i) * kWarpSize < packs) {
#pragma unroll
        for (int k = 0; k < kVec; ++k) {
          const float c = v[i][k] - mean;
          sq += c * c;
        }
      }
    }
    const float inv = 1.f / sqrtf(warp_reduce(sq, SumOp{}) / static_cast<float>(d) + eps);
    P* yr = reinterpret_cast<P*>(out + r * d);
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int64_t p = lane + static_cast<int64_t>(i) * kWarpSize;
      if (p < packs) {
        const P g = reinterpret_cast<const P*>(gamma)[p], b = reinterpret_cast<const P*>(beta)[p];
        P y;
#pragma unroll
        for (int k = 0; k < kVec; ++k)
          y.v[k] = from_float<T>((v[i][k] - mean) * inv * to_float(g.v[k]) + to_float(b.v[k]));
        yr[p] = y;
      }
    }
  }
}

// Wider rows (no Whisper width; kept so any d works): a block per row sweeping the residual three
// times. Each thread revisits only the elements it wrote, so the written-back bias needs no barrier.
template <typename T>
__global__ void __launch_bounds__(512)
    residual_layer_norm_streaming_kernel(float* residual, const T* bias, const T* gamma, const T* beta, T* out,
                                         int64_t rows, int64_t d, float eps) {
  __shared__ float shared[kWarpSize + 1];
  const int t = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    float* xr = residual + r * d;
    float sum = 0.f;
    for (int64_t c = t; c < d; c += threads) {
      float x = xr[c];
      if (bias != nullptr) {
        x += to_float(bias[c]);
        xr[c] = x;
      }
      sum += x;
    }
    const float mean = block_reduce(sum, SumOp{}, 0.f, shared) / static_cast<float>(d);
    float sq = 0.f;
    for (int64_t c = t; c < d; c += threads) {
      const float x = xr[c] - mean;
      sq += x * x;
    }
    const float inv = 1.f / sqrtf(block_reduce(sq, SumOp{}, 0.f, shared) / static_cast<float>(d) + eps);
    for (int64_t c = t; c < d; c += threads)
      out[r * d + c] = from_float<T>((xr[c] - mean) * inv * to_float(gamma[c]) + to_float(beta[c]));
  }
}

// Widest row the warp kernel keeps in registers: 48 floats a lane.
constexpr int64_t kWarpRowMax = 48 * kWarpSize;

// Register budget by width (4, 16 or 48 floats a lane), so narrow rows do not carry unused slots.
template <typename T, int kVec>
void launch_residual_layer_norm_vec(float* residual, const T* bias, const T* gamma, const T* beta, T* out, int64_t rows,
                                    int64_t d, float eps, cudaStream_t stream) {
  auto launch = [&]<int kFloats>() {
    residual_layer_norm_warp_per_row_kernel<T, kVec, kFloats / kVec>
        <<<grid_for(rows * kWarpSize), dim3(kWarpSize, kBlockThreads / kWarpSize), 0, stream>>>(
            residual, bias, gamma, beta, out, rows, d, eps);
    LRE_CUDA_CHECK_LAUNCH();
  };
  if (d <= 4 * kWarpSize) launch.template operator()<4>();
  else if (d <= 16 * kWarpSize) launch.template operator()<16>();
  else launch.template operator()<48>();
}

// ---- bias + GELU ----

// 1 + erf(u) written as erfc(-u): for negative v the sum would cancel to a few correct bits.
__device__ __forceinline__ float gelu_exact(float v) { return 0.5f * v * erfcf(-v * 0.70710678118654752f); }

template <typename T, int kVec>
__global__ void __launch_bounds__(kBlockThreads)
    bias_gelu_kernel(T* x, const T* bias, int64_t rows, int64_t packs) {
  using P = Pack<T, kVec>;
  const int64_t row_step = static_cast<int64_t>(gridDim.y) * blockDim.y;
  const int64_t col_step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    P* xr = reinterpret_cast<P*>(x) + r * packs;
    for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < packs; p += col_step) {
      P v = xr[p];
      const P b = reinterpret_cast<const P*>(bias)[p];
#pragma unroll
      for (int k = 0; k < kVec; ++k) v.v[k] = from_float<T>(gelu_exact(to_float(v.v[k]) + to_float(b.v[k])));
      xr[p] = v;
    }
  }
}

// ---- row gathers into float32: token embeddings, encoder positions ----

// Decoder inputs: the token's embedding row and the position's row.
struct TokenRows {
  const int* tokens;
  const int* positions;
  __device__ __forceinline__ int64_t a(int64_t r) const { return tokens[r]; }
  __device__ __forceinline__ int64_t b(int64_t r) const { return positions[r]; }
};

// Encoder inputs: row r of x and the position row of its frame.
struct FrameRows {
  int64_t frames;
  __device__ __forceinline__ int64_t a(int64_t r) const { return r; }
  __device__ __forceinline__ int64_t b(int64_t r) const { return r % frames; }
};

// out[r] = a[rows.a(r)] * scale + b[rows.b(r)], rows of `packs` packs.
template <typename T, int kVec, typename Rows>
__global__ void __launch_bounds__(kBlockThreads)
    add_rows_kernel(const T* a, const T* b, float scale, float* out, int64_t rows, int64_t packs, Rows index) {
  using P = Pack<T, kVec>;
  using F = Pack<float, kVec>;
  const int64_t row_step = static_cast<int64_t>(gridDim.y) * blockDim.y;
  const int64_t col_step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    const P* ar = reinterpret_cast<const P*>(a) + index.a(r) * packs;
    const P* br = reinterpret_cast<const P*>(b) + index.b(r) * packs;
    F* yr = reinterpret_cast<F*>(out) + r * packs;
    for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < packs; p += col_step) {
      const P va = ar[p], vb = br[p];
      F y;
#pragma unroll
      for (int k = 0; k < kVec; ++k) y.v[k] = to_float(va.v[k]) * scale + to_float(vb.v[k]);
      yr[p] = y;
    }
  }
}

template <typename T, typename Rows>
void launch_add_rows(const void* a, const void* b, float scale, float* out, int64_t rows, int64_t d, Rows index,
                     cudaStream_t stream) {
  const T* ta = static_cast<const T*>(a);
  const T* tb = static_cast<const T*>(b);
  if (rows_take_packs(d, {{a, sizeof(T)}, {b, sizeof(T)}, {out, sizeof(float)}})) {
    const RowGrid g = row_grid(rows, d / kRowVec);
    add_rows_kernel<T, kRowVec><<<g.grid, g.block, 0, stream>>>(ta, tb, scale, out, rows, d / kRowVec, index);
  } else {
    const RowGrid g = row_grid(rows, d);
    add_rows_kernel<T, 1><<<g.grid, g.block, 0, stream>>>(ta, tb, scale, out, rows, d, index);
  }
  LRE_CUDA_CHECK_LAUNCH();
}

// ---- KV-cache append ----

// Threads of a row walk its key then its value: 16-byte copies when the row's four pointers (only
// known on the device) allow, elements otherwise. The branch is uniform per row.
template <typename T>
__global__ void __launch_bounds__(kBlockThreads)
    append_kv_kernel(const T* qkv, int64_t qkv_ld, int64_t k_col, int64_t v_col, T* const* cache_base,
                     const int* positions, int64_t rows, int64_t d, int64_t layer, int64_t capacity) {
  constexpr int kVec = kVecWidth<T>;
  using P = Pack<T, kVec>;
  const int64_t row_step = static_cast<int64_t>(gridDim.y) * blockDim.y;
  const int64_t col_step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    const int64_t pos = positions[r];
    if (pos < 0 || pos >= capacity) continue;
    T* base = cache_base[r];
    const T* src_k = qkv + r * qkv_ld + k_col;
    const T* src_v = qkv + r * qkv_ld + v_col;
    T* dst_k = base + (layer * 2 * capacity + pos) * d;
    T* dst_v = base + ((layer * 2 + 1) * capacity + pos) * d;
    const uintptr_t addresses = reinterpret_cast<uintptr_t>(src_k) | reinterpret_cast<uintptr_t>(src_v) |
                                reinterpret_cast<uintptr_t>(dst_k) | reinterpret_cast<uintptr_t>(dst_v);
    const int64_t x0 = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (d % kVec == 0 && addresses % 16 == 0) {
      const int64_t packs = d / kVec;
      for (int64_t i = x0; i < 2 * packs; i += col_step) {
        if (i < packs) reinterpret_cast<P*>(dst_k)[i] = reinterpret_cast<const P*>(src_k)[i];
        else reinterpret_cast<P*>(dst_v)[i - packs] = reinterpret_cast<const P*>(src_v)[i - packs];
      }
    } else {
      for (int64_t i = x0; i < 2 * d; i += col_step) {
        if (i < d) dst_k[i] = src_k[i];
        else dst_v[i - d] = src_v[i - d];
      }
    }
  }
}

// ---- conv1d im2col ----

// A block fills a tile of kIm2colChannels channels by kIm2colFrames output frames (3 taps each) in
// shared memory, reading along whichever of channel and time is contiguous in x, then writes each
// output frame's slice of cols as one contiguous run. The pitch (frames * 3 + 3, i.e. 3 mod 32
// words for float) keeps both the channel-fastest fill and the (channel, tap)-fastest read free of
// bank conflicts.
constexpr int kIm2colChannels = 32;
constexpr int kIm2colFrames = 32;
constexpr int kIm2colPitch = kIm2colFrames * 3 + 3;

template <typename T>
__global__ void __launch_bounds__(kBlockThreads)
    conv_im2col_kernel(const T* x, int64_t channel_stride, int64_t time_stride, int64_t batch_stride, T* cols,
                       int64_t batch, int64_t channels, int64_t frames_in, int64_t frames_out, int64_t stride,
                       bool channels_fastest) {
  __shared__ T tile[kIm2colChannels * kIm2colPitch];
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kIm2colChannels;
  const int nc = static_cast<int>(channels - c0 < kIm2colChannels ? channels - c0 : kIm2colChannels);
  const int64_t time_tiles = (frames_out + kIm2colFrames - 1) / kIm2colFrames;
  for (int64_t u = blockIdx.y; u < batch * time_tiles; u += gridDim.y) {
    const int64_t b = u / time_tiles, t0 = (u % time_tiles) * kIm2colFrames;
    const int nt = static_cast<int>(frames_out - t0 < kIm2colFrames ? frames_out - t0 : kIm2colFrames);
    const T* xb = x + b * batch_stride + c0 * channel_stride;
    __syncthreads();  // the previous tile has been written out
    for (int i = static_cast<int>(threadIdx.x); i < nc * nt * 3; i += static_cast<int>(blockDim.x)) {
      const int c = channels_fastest ? i % nc : i / (nt * 3);
      const int j = channels_fastest ? i / nc : i % (nt * 3);  // output frame * 3 + tap
      const int64_t f = (t0 + j / 3) * stride + j % 3 - 1;
      tile[c * kIm2colPitch + j] =
          f >= 0 && f < frames_in ? xb[c * channel_stride + f * time_stride] : from_float<T>(0.f);
    }
    __syncthreads();
    const int width = nc * 3;
    for (int i = static_cast<int>(threadIdx.x); i < nt * width; i += static_cast<int>(blockDim.x)) {
      const int t = i / width, q = i % width;  // q = channel * 3 + tap
      cols[((b * frames_out + t0 + t) * channels + c0) * 3 + q] = tile[(q / 3) * kIm2colPitch + t * 3 + q % 3];
    }
  }
}

}  // namespace

void launch_residual_layer_norm(DType dtype, float* residual, const void* pending_bias, const void* gamma,
                                const void* beta, void* out, int64_t rows, int64_t d, float eps, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_residual_layer_norm";
  check_sizes(kWhat, {rows, d});
  check_param(kWhat, "residual", residual);
  check_param(kWhat, "gamma", gamma);
  check_param(kWhat, "beta", beta);
  check_param(kWhat, "out", out);
  if (rows == 0 || d == 0) return;
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    const T* bias = static_cast<const T*>(pending_bias);
    const T* g = static_cast<const T*>(gamma);
    const T* b = static_cast<const T*>(beta);
    T* y = static_cast<T*>(out);
    if (d > kWarpRowMax) {
      const auto grid = static_cast<unsigned>(std::min<int64_t>(rows, 4096));
      residual_layer_norm_streaming_kernel<T><<<grid, 512, 0, stream>>>(residual, bias, g, b, y, rows, d, eps);
      LRE_CUDA_CHECK_LAUNCH();
    } else if (rows_take_packs(d, {{residual, sizeof(float)}, {bias, sizeof(T)}, {g, sizeof(T)}, {b, sizeof(T)},
                                   {y, sizeof(T)}})) {
      launch_residual_layer_norm_vec<T, kRowVec>(residual, bias, g, b, y, rows, d, eps, stream);
    } else {
      launch_residual_layer_norm_vec<T, 1>(residual, bias, g, b, y, rows, d, eps, stream);
    }
  });
}

void launch_bias_gelu(DType dtype, void* x, const void* bias, int64_t rows, int64_t cols, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_bias_gelu";
  check_sizes(kWhat, {rows, cols});
  check_param(kWhat, "x", x);
  check_param(kWhat, "bias", bias);
  if (rows == 0 || cols == 0) return;
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    T* tx = static_cast<T*>(x);
    const T* tb = static_cast<const T*>(bias);
    constexpr int kVec = kVecWidth<T>;
    if (cols % kVec == 0 && is_aligned(x, 16) && is_aligned(bias, 16)) {
      const RowGrid g = row_grid(rows, cols / kVec);
      bias_gelu_kernel<T, kVec><<<g.grid, g.block, 0, stream>>>(tx, tb, rows, cols / kVec);
    } else {
      const RowGrid g = row_grid(rows, cols);
      bias_gelu_kernel<T, 1><<<g.grid, g.block, 0, stream>>>(tx, tb, rows, cols);
    }
    LRE_CUDA_CHECK_LAUNCH();
  });
}

void launch_embed_tokens(DType dtype, const int* tokens, const int* positions, const void* embed,
                         const void* pos_table, float scale, float* out, int64_t rows, int64_t d, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_embed_tokens";
  check_sizes(kWhat, {rows, d});
  check_param(kWhat, "tokens", tokens);
  check_param(kWhat, "positions", positions);
  check_param(kWhat, "embed", embed);
  check_param(kWhat, "pos_table", pos_table);
  check_param(kWhat, "out", out);
  if (rows == 0 || d == 0) return;
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    launch_add_rows<T>(embed, pos_table, scale, out, rows, d, TokenRows{tokens, positions}, stream);
  });
}

void launch_add_positions(DType dtype, const void* x, const void* pos_table, float* out, int64_t windows,
                          int64_t frames, int64_t d, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_add_positions";
  check_sizes(kWhat, {windows, frames, d});
  check_param(kWhat, "x", x);
  check_param(kWhat, "pos_table", pos_table);
  check_param(kWhat, "out", out);
  if (windows == 0 || frames == 0 || d == 0) return;
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    launch_add_rows<T>(x, pos_table, 1.f, out, windows * frames, d, FrameRows{frames}, stream);
  });
}

void launch_append_kv(DType dtype, const void* qkv, int64_t qkv_ld, int64_t k_col, int64_t v_col,
                      void* const* cache_base, const int* positions, int64_t rows, int64_t d, int64_t layer,
                      int64_t capacity, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_append_kv";
  check_sizes(kWhat, {qkv_ld, k_col, v_col, rows, d, layer, capacity});
  check_param(kWhat, "qkv", qkv);
  check_param(kWhat, "cache_base", cache_base);
  check_param(kWhat, "positions", positions);
  if (k_col + d > qkv_ld || v_col + d > qkv_ld)
    throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": key or value columns run past qkv_ld " +
                                                std::to_string(qkv_ld));
  if (rows == 0 || d == 0 || capacity == 0) return;
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    const RowGrid g = row_grid(rows, 2 * ((d + kVecWidth<T> - 1) / kVecWidth<T>));
    append_kv_kernel<T><<<g.grid, g.block, 0, stream>>>(static_cast<const T*>(qkv), qkv_ld, k_col, v_col,
                                                        reinterpret_cast<T* const*>(cache_base), positions, rows, d,
                                                        layer, capacity);
    LRE_CUDA_CHECK_LAUNCH();
  });
}

void launch_conv_im2col(DType dtype, const void* x, int64_t channel_stride, int64_t time_stride, int64_t batch_stride,
                        void* cols, int64_t batch, int64_t channels, int64_t frames_in, int64_t frames_out,
                        int64_t stride, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_conv_im2col";
  check_sizes(kWhat, {channel_stride, time_stride, batch_stride, batch, channels, frames_in, frames_out});
  check_param(kWhat, "x", x);
  check_param(kWhat, "cols", cols);
  if (stride < 1) throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": stride " + std::to_string(stride));
  if (batch == 0 || channels == 0 || frames_out == 0) return;
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    const int64_t time_tiles = (frames_out + kIm2colFrames - 1) / kIm2colFrames;
    const dim3 grid(static_cast<unsigned>((channels + kIm2colChannels - 1) / kIm2colChannels),
                    static_cast<unsigned>(std::min<int64_t>(batch * time_tiles, 65535)));
    conv_im2col_kernel<T><<<grid, kBlockThreads, 0, stream>>>(static_cast<const T*>(x), channel_stride, time_stride,
                                                              batch_stride, static_cast<T*>(cols), batch, channels,
                                                              frames_in, frames_out, stride,
                                                              channel_stride < time_stride);
    LRE_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace lre::cuda
