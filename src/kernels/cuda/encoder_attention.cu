// Fused ("flash") self-attention of the Whisper encoder, FlashAttention-2's loop: a block owns a
// tile of queries of one (window, head) and sweeps the window's keys tile by tile with an online
// softmax (running max and sum, the partial sums rescaled whenever the max grows), so the scores
// live in registers and never reach memory. Half types with head_dim 64 run on tensor cores
// (mma.sync m16n8k16, float32 accumulators, K and V tiles double-buffered in shared memory by
// cp.async; sm_80 and newer); every other case runs a float32 CUDA-core kernel with the same loop.
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/encoder_attention.cuh"
#include "kernels/cuda/launch_checks.h"
#include "lre/error.h"

namespace lre::cuda {

namespace {

constexpr int kMaxHeadDim = 128;
constexpr int64_t kMaxGridYZ = 65535;              // heads and windows are the grid's y and z
constexpr int64_t kMaxFrames = int64_t{1} << 30;   // row and key indices within a window stay int

struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

// ---- Tensor-core kernel (Float16, BFloat16; head_dim 64) ----

// 128 queries a block, 8 warps of 16 rows: every block streams its window's K and V through L2
// once, so wider query tiles divide that traffic (large-v3: 20 heads x 12 tiles x 384 KB a
// window). At 128 registers a thread two blocks (16 warps) fit on an SM.
constexpr int kMmaHeadDim = 64;
constexpr int kMmaWarps = 8;
constexpr int kMmaRows = 16;  // query rows a warp owns: the m of m16n8k16
constexpr int kMmaQueries = kMmaWarps * kMmaRows;
constexpr int kMmaKeys = 64;
constexpr int kMmaThreads = kMmaWarps * kWarpSize;
// Shared rows padded to 72 elements (144 bytes): the 8 rows an ldmatrix phase reads then start
// 4 banks apart and cover the 32 banks once.
constexpr int kMmaStride = kMmaHeadDim + 8;
constexpr int kChunk = 8;  // elements of one 16-byte copy
constexpr int kChunksPerRow = kMmaHeadDim / kChunk;
constexpr float kLog2e = 1.4426950408889634f;
static_assert(kMmaQueries == 2 * kMmaKeys, "the query tile is staged in the second K/V buffer");

__device__ __forceinline__ uint32_t shared_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes from global to shared memory without a register round trip. When !valid nothing is
// read (source size 0) and the 16 bytes are zero-filled: tail keys get zero K and V rows, so the
// zero weights they are given multiply finite values.
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address(dst)), "l"(src),
               "r"(valid ? 16 : 0)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

// Four 8x8 matrices of 16-bit elements; lane l gives the address of row l % 8 of matrix l / 8 and
// receives, of each matrix, row l / 4, columns 2 (l % 4) and 2 (l % 4) + 1 (.trans: column l / 4,
// rows 2 (l % 4) and 2 (l % 4) + 1).
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(shared_address(p))
               : "memory");
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(shared_address(p))
               : "memory");
}

// c += a b, a 16x16 (row-major fragment), b 16x8 (column-major fragment), c 16x8 float32.
template <typename T>
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void mma_16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma_16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                                         uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats rounded to T in one 32-bit register, `lo` in the low half (the lower column of an
// mma fragment, the lower address in memory).
template <typename T>
__device__ __forceinline__ uint32_t pack_pair(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack_pair<__half>(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  uint32_t u;
  memcpy(&u, &h, sizeof(u));
  return u;
}
template <>
__device__ __forceinline__ uint32_t pack_pair<__nv_bfloat16>(float lo, float hi) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  uint32_t u;
  memcpy(&u, &h, sizeof(u));
  return u;
}

// Block (query tile, head, window): kMmaWarps warps of kMmaRows query rows each. Per key tile a
// warp computes its 16 x 64 scores S = Q K^T (Q the A operand, K's rows serving as the
// column-major B operand), updates the online softmax on the accumulators, and adds P V. The
// m16n8 accumulators of two adjacent 8-key column tiles are laid out as the m16k16 A operand, so
// P goes from S to the second product without leaving registers. Lane l holds, in each m16n8
// fragment, rows g = l / 4 (elements 0, 1) and g + 8 (elements 2, 3) at columns 2 (l % 4) + {0, 1}.
template <typename T>
__global__ void __launch_bounds__(kMmaThreads, 2)
    encoder_attention_mma_kernel(const T* q, const T* k, const T* v, int64_t ld, const T* q_bias, T* out,
                                 int64_t out_ld, int frames) {
  // Rows [0, 64) hold K and [64, 128) V of buffer 0, [128, 256) those of buffer 1. Before the key
  // loop, rows [128, 256) stage the block's query tile.
  __shared__ alignas(16) T smem[4 * kMmaKeys][kMmaStride];
  using Chunk = Pack<T, kChunk>;

  const int tid = static_cast<int>(threadIdx.x), lane = tid % kWarpSize, warp = tid / kWarpSize;
  const int q0 = static_cast<int>(blockIdx.x) * kMmaQueries;
  const int64_t col = static_cast<int64_t>(blockIdx.y) * kMmaHeadDim;
  const int64_t row0 = static_cast<int64_t>(blockIdx.z) * frames;
  const T* kw = k + row0 * ld + col;
  const T* vw = v + row0 * ld + col;

  // Thread tid copies the 16-byte column kv_col of the tile's rows kv_row + i * kCopyRows.
  constexpr int kCopyRows = kMmaThreads / kChunksPerRow;
  const int kv_row = tid / kChunksPerRow, kv_col = (tid % kChunksPerRow) * kChunk;
  const auto load_kv = [&](int tile, int buffer) {
    const int key0 = tile * kMmaKeys;
    T(*ks)[kMmaStride] = smem + buffer * 2 * kMmaKeys;
    T(*vs)[kMmaStride] = ks + kMmaKeys;
#pragma unroll
    for (int i = 0; i < kMmaKeys / kCopyRows; ++i) {
      const int r = kv_row + i * kCopyRows;
      const bool valid = key0 + r < frames;
      // A skipped copy still gets an address inside the window: key 0's.
      const int64_t at = (valid ? key0 + r : 0) * ld + kv_col;
      cp_async_16(&ks[r][kv_col], kw + at, valid);
      cp_async_16(&vs[r][kv_col], vw + at, valid);
    }
    cp_async_commit();
  };

  load_kv(0, 0);
  // The query tile plus bias, rounded to T as the tensor cores take it; rows past the window are
  // zeros (their outputs are not written).
  T(*qs)[kMmaStride] = smem + 2 * kMmaKeys;
  for (int c = tid; c < kMmaQueries * kChunksPerRow; c += kMmaThreads) {
    const int r = c / kChunksPerRow, e = (c % kChunksPerRow) * kChunk;
    Chunk x;
    if (q0 + r < frames) {
      x = *reinterpret_cast<const Chunk*>(q + (row0 + q0 + r) * ld + col + e);
      if (q_bias != nullptr) {
        const Chunk b = *reinterpret_cast<const Chunk*>(q_bias + col + e);
#pragma unroll
        for (int i = 0; i < kChunk; ++i) x.v[i] = from_float<T>(to_float(x.v[i]) + to_float(b.v[i]));
      }
    } else {
#pragma unroll
      for (int i = 0; i < kChunk; ++i) x.v[i] = from_float<T>(0.f);
    }
    *reinterpret_cast<Chunk*>(&qs[r][e]) = x;
  }
  __syncthreads();
  uint32_t qa[kMmaHeadDim / 16][4];  // A fragments of the warp's rows, one per 16 columns
#pragma unroll
  for (int kk = 0; kk < kMmaHeadDim / 16; ++kk)
    ldmatrix_x4(qa[kk], &qs[warp * kMmaRows + lane % 8 + (lane / 8) % 2 * 8][kk * 16 + lane / 16 * 8]);
  __syncthreads();  // the staging area is buffer 1, which the first prefetch overwrites

  const int g = lane / 4, pair = 2 * (lane % 4);
  float o[kMmaHeadDim / 8][4] = {};  // output accumulators, 8 columns each
  float m[2] = {-INFINITY, -INFINITY};  // running max of rows g and g + 8, in log2 units
  float l[2] = {0.f, 0.f};             // this lane's part of their running sums
  const int tiles = (frames + kMmaKeys - 1) / kMmaKeys;
  for (int tile = 0; tile < tiles; ++tile) {
    const int buffer = tile % 2;
    if (tile + 1 < tiles) {
      load_kv(tile + 1, 1 - buffer);
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const T(*ks)[kMmaStride] = smem + buffer * 2 * kMmaKeys;
    const T(*vs)[kMmaStride] = ks + kMmaKeys;

    float s[kMmaKeys / 8][4] = {};  // scores, 8 keys each
#pragma unroll
    for (int kk = 0; kk < kMmaHeadDim / 16; ++kk)
#pragma unroll
      for (int n = 0; n < kMmaKeys / 16; ++n) {
        uint32_t b[4];
        ldmatrix_x4(b, &ks[n * 16 + lane % 8 + lane / 16 * 8][kk * 16 + (lane / 8) % 2 * 8]);
        mma_16816<T>(s[2 * n], qa[kk], b[0], b[1]);
        mma_16816<T>(s[2 * n + 1], qa[kk], b[2], b[3]);
      }

    const int key0 = tile * kMmaKeys;
    if (key0 + kMmaKeys > frames) {
#pragma unroll
      for (int n = 0; n < kMmaKeys / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (key0 + n * 8 + pair + e % 2 >= frames) s[n][e] = -INFINITY;
    }

#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float mx = -INFINITY;
#pragma unroll
      for (int n = 0; n < kMmaKeys / 8; ++n) mx = fmaxf(mx, fmaxf(s[n][2 * half], s[n][2 * half + 1]));
      // The 4 lanes sharing a row are adjacent.
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      // Every tile holds at least one real key, so m_new is finite: exp2 of -inf gives the first
      // tile's rescale and the masked keys their zeros.
      const float m_new = fmaxf(m[half], mx * kLog2e);
      const float alpha = exp2f(m[half] - m_new);
      m[half] = m_new;
      float sum = 0.f;
#pragma unroll
      for (int n = 0; n < kMmaKeys / 8; ++n)
#pragma unroll
        for (int e = 2 * half; e < 2 * half + 2; ++e) {
          s[n][e] = exp2f(fmaf(s[n][e], kLog2e, -m_new));
          sum += s[n][e];
        }
      l[half] = l[half] * alpha + sum;
#pragma unroll
      for (int n = 0; n < kMmaHeadDim / 8; ++n) {
        o[n][2 * half] *= alpha;
        o[n][2 * half + 1] *= alpha;
      }
    }

#pragma unroll
    for (int kk = 0; kk < kMmaKeys / 16; ++kk) {
      const uint32_t pa[4] = {pack_pair<T>(s[2 * kk][0], s[2 * kk][1]), pack_pair<T>(s[2 * kk][2], s[2 * kk][3]),
                              pack_pair<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              pack_pair<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int n = 0; n < kMmaHeadDim / 16; ++n) {
        uint32_t b[4];
        ldmatrix_x4_trans(b, &vs[kk * 16 + lane % 8 + (lane / 8) % 2 * 8][n * 16 + lane / 16 * 8]);
        mma_16816<T>(o[2 * n], pa, b[0], b[1]);
        mma_16816<T>(o[2 * n + 1], pa, b[2], b[3]);
      }
    }
    __syncthreads();  // the next iteration's prefetch refills this buffer
  }

#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float total = l[half];
    total += __shfl_xor_sync(0xffffffffu, total, 1);
    total += __shfl_xor_sync(0xffffffffu, total, 2);
    const float inv = 1.f / total;
    const int r = q0 + warp * kMmaRows + g + 8 * half;
    if (r < frames) {
      T* orow = out + (row0 + r) * out_ld + col + pair;
#pragma unroll
      for (int n = 0; n < kMmaHeadDim / 8; ++n)
        *reinterpret_cast<uint32_t*>(orow + n * 8) = pack_pair<T>(o[n][2 * half] * inv, o[n][2 * half + 1] * inv);
    }
  }
}

// ---- CUDA-core kernel (any float dtype, head_dim up to 128, any alignment) ----

constexpr int kGenWarps = 4;
constexpr int kGenRows = 4;  // query rows a warp carries through the key loop
constexpr int kGenQueries = kGenWarps * kGenRows;
constexpr int kGenKeys = kWarpSize;  // a key per lane
constexpr int kGenThreads = kGenWarps * kWarpSize;
constexpr int kMaxVec4 = kMaxHeadDim / 4;
constexpr int kMaxDimsPerLane = kMaxHeadDim / kWarpSize;

// Block (query tile, head, window) of kGenQueries rows, kGenRows per warp; tiles of kGenKeys keys
// are converted to float in shared memory. Scores: lane j scores key j for the warp's rows,
// float4 dot products against the query rows broadcast from shared memory. The online softmax
// runs across the warp. P V: lane j accumulates output columns j, j + 32, ..., reading the
// weights back four keys at a time.
template <typename T>
__global__ void __launch_bounds__(kGenThreads)
    encoder_attention_generic_kernel(const T* q, const T* k, const T* v, int64_t ld, const T* q_bias, T* out,
                                     int64_t out_ld, int frames, int head_dim) {
  // Q and K rows are zero-padded to a multiple of 4 columns for the float4 products; K's row
  // stride is an odd number of float4s, so the 8 lanes of a float4 phase hit distinct banks.
  __shared__ float4 q_s[kGenQueries][kMaxVec4];
  __shared__ float4 k_s[kGenKeys][kMaxVec4 + 1];
  __shared__ float v_s[kGenKeys][kMaxHeadDim];
  __shared__ float4 p_s[kGenWarps][kGenRows][kGenKeys / 4];

  const int tid = static_cast<int>(threadIdx.x), lane = tid % kWarpSize, warp = tid / kWarpSize;
  const int q0 = static_cast<int>(blockIdx.x) * kGenQueries;
  const int64_t col = static_cast<int64_t>(blockIdx.y) * head_dim;
  const int64_t row0 = static_cast<int64_t>(blockIdx.z) * frames;
  const int vec4 = (head_dim + 3) / 4, width4 = 4 * vec4;
  // V is zero-padded up to the last column group a lane reads.
  const int vwidth = (head_dim + kWarpSize - 1) / kWarpSize * kWarpSize;

  for (int e = tid; e < kGenQueries * width4; e += kGenThreads) {
    const int r = e / width4, c = e % width4;
    float x = 0.f;
    if (q0 + r < frames && c < head_dim) {
      x = to_float(q[(row0 + q0 + r) * ld + col + c]);
      if (q_bias != nullptr) x += to_float(q_bias[col + c]);
    }
    reinterpret_cast<float*>(q_s[r])[c] = x;
  }

  float o[kGenRows][kMaxDimsPerLane] = {};
  float m[kGenRows], l[kGenRows];  // running max and this lane's part of the running sum
#pragma unroll
  for (int r = 0; r < kGenRows; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.f;
  }
  for (int key0 = 0; key0 < frames; key0 += kGenKeys) {
    __syncthreads();  // every warp is done with the previous tile
    for (int e = tid; e < kGenKeys * width4; e += kGenThreads) {
      const int j = e / width4, c = e % width4;
      const bool in = key0 + j < frames && c < head_dim;
      reinterpret_cast<float*>(k_s[j])[c] = in ? to_float(k[(row0 + key0 + j) * ld + col + c]) : 0.f;
    }
    for (int e = tid; e < kGenKeys * vwidth; e += kGenThreads) {
      const int j = e / vwidth, c = e % vwidth;
      const bool in = key0 + j < frames && c < head_dim;
      v_s[j][c] = in ? to_float(v[(row0 + key0 + j) * ld + col + c]) : 0.f;
    }
    __syncthreads();

    float s[kGenRows] = {};
    for (int c = 0; c < vec4; ++c) {
      const float4 kv = k_s[lane][c];
#pragma unroll
      for (int r = 0; r < kGenRows; ++r) {
        const float4 qv = q_s[warp * kGenRows + r][c];
        s[r] = fmaf(qv.x, kv.x, fmaf(qv.y, kv.y, fmaf(qv.z, kv.z, fmaf(qv.w, kv.w, s[r]))));
      }
    }
    const bool valid = key0 + lane < frames;
#pragma unroll
    for (int r = 0; r < kGenRows; ++r) {
      const float sr = valid ? s[r] : -INFINITY;
      // Lane 0's key is always real, so m_new is finite (see the tensor-core kernel).
      const float m_new = fmaxf(m[r], warp_reduce(sr, MaxOp{}));
      const float alpha = expf(m[r] - m_new);
      const float p = expf(sr - m_new);
      m[r] = m_new;
      l[r] = l[r] * alpha + p;
#pragma unroll
      for (int c = 0; c < kMaxDimsPerLane; ++c) o[r][c] *= alpha;
      reinterpret_cast<float*>(p_s[warp][r])[lane] = p;
    }
    __syncwarp();

    for (int j4 = 0; j4 < kGenKeys / 4; ++j4) {
      float4 pr[kGenRows];
#pragma unroll
      for (int r = 0; r < kGenRows; ++r) pr[r] = p_s[warp][r][j4];
#pragma unroll
      for (int c = 0; c < kMaxDimsPerLane; ++c) {
        if (c * kWarpSize >= head_dim) break;
        const int d = lane + c * kWarpSize;
        const float v0 = v_s[4 * j4][d], v1 = v_s[4 * j4 + 1][d], v2 = v_s[4 * j4 + 2][d], v3 = v_s[4 * j4 + 3][d];
#pragma unroll
        for (int r = 0; r < kGenRows; ++r)
          o[r][c] = fmaf(pr[r].w, v3, fmaf(pr[r].z, v2, fmaf(pr[r].y, v1, fmaf(pr[r].x, v0, o[r][c]))));
      }
    }
  }

#pragma unroll
  for (int r = 0; r < kGenRows; ++r) {
    const float inv = 1.f / warp_reduce(l[r], SumOp{});
    const int row = q0 + warp * kGenRows + r;
    if (row < frames) {
      T* orow = out + (row0 + row) * out_ld + col;
#pragma unroll
      for (int c = 0; c < kMaxDimsPerLane; ++c) {
        const int d = lane + c * kWarpSize;
        if (d < head_dim) orow[d] = from_float<T>(o[r][c] * inv);
      }
    }
  }
}

unsigned query_tiles(int64_t frames, int tile) { return static_cast<unsigned>((frames + tile - 1) / tile); }

}  // namespace

bool encoder_attention_uses_tensor_cores(DType dtype, const void* q, const void* k, const void* v, int64_t ld,
                                         const void* q_bias, const void* out, int64_t out_ld, int64_t head_dim) {
  if (dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  if (head_dim != kMmaHeadDim || ld % kChunk != 0 || out_ld % kChunk != 0) return false;
  for (const void* p : {q, k, v, q_bias, out})
    if (p != nullptr && !is_aligned(p, 16)) return false;
  return true;
}

void launch_encoder_attention(DType dtype, const void* q, const void* k, const void* v, int64_t ld,
                              const void* q_bias, void* out, int64_t out_ld, int64_t windows, int64_t frames,
                              int64_t heads, int64_t head_dim, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_encoder_attention";
  check_sizes(kWhat, {ld, out_ld, windows, frames, heads, head_dim});
  if (head_dim > kMaxHeadDim)
    throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": head_dim " + std::to_string(head_dim) +
                                                " above " + std::to_string(kMaxHeadDim));
  if (heads > kMaxGridYZ || windows > kMaxGridYZ || frames > kMaxFrames)
    throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": heads " + std::to_string(heads) + ", windows " +
                                                std::to_string(windows) + " or frames " + std::to_string(frames) +
                                                " past the limits (65535, 65535, 2^30)");
  const int64_t d = heads * head_dim;
  if (ld < d || out_ld < d)
    throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": ld " + std::to_string(ld) + " or out_ld " +
                                                std::to_string(out_ld) + " below heads * head_dim " +
                                                std::to_string(d));
  if (windows == 0 || frames == 0 || d == 0) return;
  check_param(kWhat, "q", q);
  check_param(kWhat, "k", k);
  check_param(kWhat, "v", v);
  check_param(kWhat, "out", out);
  const int n = static_cast<int>(frames), hd = static_cast<int>(head_dim);
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    const T *qt = static_cast<const T*>(q), *kt = static_cast<const T*>(k), *vt = static_cast<const T*>(v);
    const T* bt = static_cast<const T*>(q_bias);
    T* ot = static_cast<T*>(out);
    if constexpr (!std::is_same_v<T, float>) {
      if (encoder_attention_uses_tensor_cores(dtype, q, k, v, ld, q_bias, out, out_ld, head_dim)) {
        const dim3 grid(query_tiles(frames, kMmaQueries), static_cast<unsigned>(heads), static_cast<unsigned>(windows));
        encoder_attention_mma_kernel<T><<<grid, kMmaThreads, 0, stream>>>(qt, kt, vt, ld, bt, ot, out_ld, n);
        LRE_CUDA_CHECK_LAUNCH();
        return;
      }
    }
    const dim3 grid(query_tiles(frames, kGenQueries), static_cast<unsigned>(heads), static_cast<unsigned>(windows));
    encoder_attention_generic_kernel<T><<<grid, kGenThreads, 0, stream>>>(qt, kt, vt, ld, bt, ot, out_ld, n, hd);
    LRE_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace lre::cuda
