// Cluster (head h) of kCluster blocks, rank i:
//   1. first, what needs no earlier kernel (it runs in plain stream order: launch_in_clusters), so
//      those loads are in flight while the norm waits on its row statistics: warp w loads the
//      weight row of query column h * head_dim + i * columns + w into registers, the block puts
//      gamma and beta in shared memory, and asks L2 for its share of each row's keys and values;
//   2. normalises the rows into shared memory (norm_stage.cuh) and projects its query columns;
//   3. gathers the head's query from the cluster's blocks (distributed shared memory);
//   4. attends keys [i * chunk, (i + 1) * chunk) of each row, chunk = ceil(L / kCluster), keeping
//      the (max, sum, weighted values) of its share in shared memory;
//   5. merges the cluster's shares for its own output columns and writes them.
// Four cluster barriers in all, against the two kernels (and a merge) of the unfused step.
#include <cooperative_groups.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch_checks.h"
#include "kernels/cuda/norm_query_attention.cuh"
#include "kernels/cuda/norm_stage.cuh"
#include "kernels/cuda/programmatic_launch.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

namespace cg = cooperative_groups;

constexpr int kCluster = 8;  // the portable cluster size
constexpr int kThreads = 256;
constexpr int kWarps = kThreads / kWarpSize;
constexpr int kMaxHeadDim = kCluster * kWarps;  // a query column per warp
// Rows of a launch: the blocks attend row after row, so past one row the unfused kernels, which
// spread rows over blocks, are as fast or faster (H100, large-v3 shape: one row 13.3 us fused
// against 17.4 us unfused; two rows 19.9 against 19.7; four rows 39 against 26).
constexpr int kMaxRows = 1;
constexpr int kMaxLength = 4096;

// The keys row r of a cluster attends and this block's share of them.
struct KeyShare {
  const char* keys;    // head h's columns of the block's first key row
  const char* values;  // the same of its first value row
  int length;          // L
  int count;           // keys of the share (none when <= 0)
};

template <typename T>
__device__ __forceinline__ KeyShare key_share(const DecoderAttentionSource& s, int64_t layer, int64_t d, int h,
                                              int head_dim, int max_length, int rank) {
  int length = s.length < s.capacity ? s.length : s.capacity;
  length = length < max_length ? length : max_length;
  length = length > 0 ? length : 0;
  const int chunk = (length + kCluster - 1) / kCluster, first = rank * chunk;
  const T* base = static_cast<const T*>(s.base);
  const int64_t capacity = s.capacity;
  return {reinterpret_cast<const char*>(base + (layer * 2 * capacity + first) * d + int64_t{h} * head_dim),
          reinterpret_cast<const char*>(base + ((layer * 2 + 1) * capacity + first) * d + int64_t{h} * head_dim),
          length, min(chunk, length - first)};
}

template <typename T, int R>
__global__ void __launch_bounds__(kThreads, 2)  // two blocks an SM, so every cluster of the grid fits at once
    norm_query_attention_kernel(const float* __restrict__ residual, const T* gamma, const T* beta_ln, float eps,
                                const T* __restrict__ wq, const T* q_bias, const DecoderAttentionSource* sources,
                                int64_t layer, T* out, int64_t out_ld, int heads, int head_dim, int max_length,
                                int group) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  constexpr int kVec = kVecWidth<T>;
  constexpr int kEarlyPacks = 5;  // 16-byte packs per lane of a weight row in registers (2.5 KiB a warp)
  constexpr int kBatch = 8;       // key rounds whose loads are in flight together
  using P = Pack<T, kVec>;
  const auto max_op = [](float a, float b) { return fmaxf(a, b); };
  const auto sum_op = [](float a, float b) { return a + b; };
  const cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank());
  const int h = static_cast<int>(blockIdx.x) / kCluster;
  const int t = static_cast<int>(threadIdx.x), lane = t % kWarpSize, warp = t / kWarpSize;
  const int64_t d = int64_t{heads} * head_dim;
  const int packs = static_cast<int>(d / kVec), head_packs = head_dim / kVec;
  const int columns = head_dim / kCluster;  // query columns per block, one a warp
  const int chunk_capacity = (max_length + kCluster - 1) / kCluster;
  constexpr int64_t kElem = sizeof(T);
  const int64_t row_bytes = head_dim * kElem, key_stride = d * kElem;

  extern __shared__ __align__(16) unsigned char smem[];
  T* staged = reinterpret_cast<T*>(smem);  // (R, d) normalised rows
  T* gamma_s = staged + R * d;
  T* beta_s = gamma_s + d;
  float* scores = reinterpret_cast<float*>(beta_s + d);  // (R, chunk_capacity)
  __shared__ float q_part[R][kWarps];                    // this block's query columns
  __shared__ float q_s[R][kMaxHeadDim];                  // the head's query, bias added
  __shared__ float share_max[R], share_sum[R];
  __shared__ float share_acc[R][kMaxHeadDim];
  __shared__ float red[kThreads * kVec];
  __shared__ float reduce_buf[kWarpSize + 1];

  // 1. Weights, keys and values.
  const bool projects = warp < columns;
  const P* wrow = reinterpret_cast<const P*>(wq + (int64_t{h} * head_dim + rank * columns + warp) * d);
  P early[kEarlyPacks];
  if (projects) {
#pragma unroll
    for (int i = 0; i < kEarlyPacks; ++i)
      if (lane + i * kWarpSize < packs) early[i] = wrow[lane + i * kWarpSize];
  }
  for (int p = t; p < packs; p += kThreads) {
    reinterpret_cast<P*>(gamma_s)[p] = reinterpret_cast<const P*>(gamma)[p];
    reinterpret_cast<P*>(beta_s)[p] = reinterpret_cast<const P*>(beta_ln)[p];
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const KeyShare ks = key_share<T>(sources[r], layer, d, h, head_dim, max_length, rank);
    for (int i = t; i < 2 * ks.count; i += kThreads) {
      const char* row = i < ks.count ? ks.keys + i * key_stride : ks.values + (i - ks.count) * key_stride;
      for (int64_t b = 0; b < row_bytes; b += 128) prefetch_l2(row + b);
    }
  }
  allow_dependent_grids();

  // 2. The normalised rows, then this block's query columns.
  stage_normalised_rows<T, R, kThreads>(residual, gamma_s, beta_s, d, eps, staged);
  if (projects) {
    float acc[R];
#pragma unroll
    for (int r = 0; r < R; ++r) acc[r] = 0.f;
    const auto accumulate = [&](const P& wp, int p) {
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const P xp = reinterpret_cast<const P*>(staged + r * d)[p];
#pragma unroll
        for (int j = 0; j < kVec; ++j) acc[r] = fmaf(to_float(xp.v[j]), to_float(wp.v[j]), acc[r]);
      }
    };
#pragma unroll
    for (int i = 0; i < kEarlyPacks; ++i)
      if (lane + i * kWarpSize < packs) accumulate(early[i], lane + i * kWarpSize);
    for (int p = lane + kEarlyPacks * kWarpSize; p < packs; p += kWarpSize) accumulate(wrow[p], p);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float v = acc[r];
      for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
      if (lane == 0) q_part[r][warp] = v;
    }
  }
  cluster.sync();

  // 3. The head's query, rounded to T as a separate projection would store it.
  for (int idx = t; idx < R * head_dim; idx += kThreads) {
    const int r = idx / head_dim, j = idx % head_dim;
    const float* remote = cluster.map_shared_rank(&q_part[0][0], j / columns);
    float v = to_float(from_float<T>(remote[r * kWarps + j % columns]));
    if (q_bias != nullptr) v += to_float(q_bias[int64_t{h} * head_dim + j]);
    q_s[r][j] = v;
  }
  __syncthreads();

  // 4. This block's share of each row's keys.
  // `group` lanes (a power of two covering the head's packs, one pack a lane) score a key together.
  const int member = lane % group;
  const int key_groups = kThreads / head_packs;
  const int pk = t % head_packs, kg = t / head_packs;
  for (int r = 0; r < R; ++r) {
    const KeyShare ks = key_share<T>(sources[r], layer, d, h, head_dim, max_length, rank);
    if (ks.count <= 0) {  // uniform over the block
      if (t == 0) {
        share_max[r] = -INFINITY;
        share_sum[r] = 0.f;
      }
      for (int j = t; j < head_dim; j += kThreads) share_acc[r][j] = 0.f;
      continue;
    }
    float* p_s = scores + r * chunk_capacity;
    // Scores, kBatch rounds of keys at a time: every load of a batch is issued before any
    // arithmetic, so a share costs one or two memory round trips, not one a round.
    const int keys_per_round = kThreads / group;
    for (int k0 = 0; k0 < ks.count; k0 += kBatch * keys_per_round) {  // uniform: every lane shuffles
      P kp[kBatch];
#pragma unroll
      for (int u = 0; u < kBatch; ++u) {
        const int key = k0 + u * keys_per_round + t / group;
        if (key < ks.count && member < head_packs)
          kp[u] = reinterpret_cast<const P*>(ks.keys + key * key_stride)[member];
      }
#pragma unroll
      for (int u = 0; u < kBatch; ++u) {
        const int key = k0 + u * keys_per_round + t / group;
        float dot = 0.f;
        if (key < ks.count && member < head_packs) {
#pragma unroll
          for (int j = 0; j < kVec; ++j) dot += q_s[r][member * kVec + j] * to_float(kp[u].v[j]);
        }
        for (int mask = group / 2; mask > 0; mask /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, mask);
        if (key < ks.count && member == 0) p_s[key] = dot;
      }
    }
    __syncthreads();
    float m = -INFINITY;
    for (int k = t; k < ks.count; k += kThreads) m = fmaxf(m, p_s[k]);
    m = block_reduce(m, max_op, -INFINITY, reduce_buf);
    float l = 0.f;
    for (int k = t; k < ks.count; k += kThreads) {
      const float e = expf(p_s[k] - m);
      p_s[k] = e;
      l += e;
    }
    l = block_reduce(l, sum_op, 0.f, reduce_buf);  // its barriers publish p_s
    if (kg < key_groups) {
      float acc[kVec] = {};
      for (int k0 = kg; k0 < ks.count; k0 += kBatch * key_groups) {  // batched as the scores
        P vp[kBatch];
#pragma unroll
        for (int u = 0; u < kBatch; ++u)
          if (k0 + u * key_groups < ks.count)
            vp[u] = reinterpret_cast<const P*>(ks.values + (k0 + u * key_groups) * key_stride)[pk];
#pragma unroll
        for (int u = 0; u < kBatch; ++u)
          if (k0 + u * key_groups < ks.count) {
            const float w = p_s[k0 + u * key_groups];
#pragma unroll
            for (int j = 0; j < kVec; ++j) acc[j] += w * to_float(vp[u].v[j]);
          }
      }
#pragma unroll
      for (int j = 0; j < kVec; ++j) red[kg * head_dim + pk * kVec + j] = acc[j];
    }
    __syncthreads();
    for (int j = t; j < head_dim; j += kThreads) {
      float a = 0.f;
      for (int g = 0; g < key_groups; ++g) a += red[g * head_dim + j];
      share_acc[r][j] = a;
    }
    if (t == 0) {
      share_max[r] = m;
      share_sum[r] = l;
    }
    __syncthreads();  // red and the scores are reused by the next row
  }
  cluster.sync();

  // 5. This block's output columns, merged over the cluster's shares.
  for (int idx = t; idx < R * columns; idx += kThreads) {
    const int r = idx / columns, j = rank * columns + idx % columns;
    T* o = out + r * out_ld + int64_t{h} * head_dim + j;
    float mx = -INFINITY;
    for (int k = 0; k < kCluster; ++k) mx = fmaxf(mx, cluster.map_shared_rank(&share_max[0], k)[r]);
    if (mx == -INFINITY) {  // no keys: L < 1
      *o = from_float<T>(0.f);
      continue;
    }
    float l = 0.f, a = 0.f;
    for (int k = 0; k < kCluster; ++k) {
      const float w = expf(cluster.map_shared_rank(&share_max[0], k)[r] - mx);
      l += cluster.map_shared_rank(&share_sum[0], k)[r] * w;
      a += cluster.map_shared_rank(&share_acc[0][0], k)[r * kMaxHeadDim + j] * w;
    }
    *o = from_float<T>(a / l);
  }
  cluster.sync();  // every block's shared memory stays until the cluster has read it
#endif
}

// Shared memory a block may have beyond its static arrays (about 20 KiB; a margin kept).
size_t smem_limit() {
  int device = 0, optin = 0;
  LRE_CUDA_CHECK(cudaGetDevice(&device));
  LRE_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  return static_cast<size_t>(std::max(optin - 32 * 1024, 0));
}

size_t dynamic_smem(int64_t rows, int64_t d, size_t element_bytes, int max_length) {
  return static_cast<size_t>((rows + 2) * d) * element_bytes +
         static_cast<size_t>(rows * ((max_length + kCluster - 1) / kCluster)) * sizeof(float);
}

template <typename T, int R>
void launch_typed(const float* residual, const void* gamma, const void* beta_ln, float eps, const void* wq,
                  const void* q_bias, const DecoderAttentionSource* sources, int64_t layer, void* out, int64_t out_ld,
                  int64_t heads, int64_t head_dim, int max_length, cudaStream_t stream) {
  constexpr auto kernel = norm_query_attention_kernel<T, R>;
  const size_t smem = dynamic_smem(R, heads * head_dim, sizeof(T), max_length);
  allow_shared_memory<kernel>(smem_limit());
  launch_in_clusters<kernel>(kCluster, dim3(static_cast<unsigned>(heads * kCluster)), dim3(kThreads), smem,
                                        stream, residual, static_cast<const T*>(gamma), static_cast<const T*>(beta_ln),
                                        eps, static_cast<const T*>(wq), static_cast<const T*>(q_bias), sources, layer,
                                        static_cast<T*>(out), out_ld, static_cast<int>(heads),
                                        static_cast<int>(head_dim), max_length,
                                        std::min(kWarpSize, pow2_at_least(head_dim / kVecWidth<T>)));
}

}  // namespace

bool norm_query_attention_supported(DType dtype, int64_t rows, int64_t heads, int64_t head_dim, int64_t max_length) {
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  const int64_t vec = 16 / static_cast<int64_t>(dtype_size(dtype));
  const int64_t d = heads * head_dim;
  if (rows < 1 || rows > kMaxRows || head_dim < kCluster || head_dim > kMaxHeadDim || head_dim % kCluster != 0 ||
      head_dim % vec != 0 || heads < 1 || heads > 65535 / kCluster || max_length < 1 || max_length > kMaxLength ||
      dynamic_smem(rows, d, dtype_size(dtype), static_cast<int>(max_length)) > smem_limit())
    return false;
  return waits_for_prior_grids<norm_query_attention_kernel<float, 1>>();
}

void launch_norm_query_attention(DType dtype, const float* residual, const void* gamma, const void* beta_ln, float eps,
                                 const void* wq, const void* q_bias, const DecoderAttentionSource* sources,
                                 int64_t layer, void* out, int64_t out_ld, int64_t rows, int64_t heads,
                                 int64_t head_dim, int max_length, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_norm_query_attention";
  check_sizes(kWhat, {layer, out_ld});
  check_param(kWhat, "residual", residual);
  check_param(kWhat, "gamma", gamma);
  check_param(kWhat, "beta_ln", beta_ln);
  check_param(kWhat, "wq", wq);
  check_param(kWhat, "sources", sources);
  check_param(kWhat, "out", out);
  if (!norm_query_attention_supported(dtype, rows, heads, head_dim, max_length) || out_ld < heads * head_dim)
    throw Error(ErrorCode::InvalidArgument,
                std::string(kWhat) + ": unsupported here (" + dtype_name(dtype) + ", rows " + std::to_string(rows) +
                    ", heads " + std::to_string(heads) + ", head_dim " + std::to_string(head_dim) + ", max_length " +
                    std::to_string(max_length) + ", out_ld " + std::to_string(out_ld) + ")");
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    const auto launch = [&]<int R>() {
      launch_typed<T, R>(residual, gamma, beta_ln, eps, wq, q_bias, sources, layer, out, out_ld, heads, head_dim,
                         max_length, stream);
    };
    launch.template operator()<1>();
  });
}

}  // namespace lre::cuda
