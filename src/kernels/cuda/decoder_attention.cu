// Split-K ("flash-decoding") attention of decoder query rows over their KV caches. A decode step
// has few rows but up to 1500 keys each, so one block per (row, head) would leave the GPU idle:
// instead block (row, head, split) scores a chunk of kChunk keys, and the last block of a (row,
// head) to finish merges the chunks' (max, sum, weighted values) by log-sum-exp, so no second
// kernel waits on the first. The grid is sized from a host-side bound; actual lengths are read on
// the device, so one captured graph serves every step. Launched to overlap the kernel before it:
// each block asks L2 for its chunk of keys and values before waiting for the query.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/launch_checks.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/decoder_attention.cuh"
#include "kernels/cuda/programmatic_launch.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

// Keys per split: 1500 cross-attention frames give 24 splits, enough blocks to fill the GPU for a
// single row of a small model, while the merge stays a short loop.
constexpr int kChunk = 64;
constexpr int kAttnThreads = 128;
constexpr int kMaxHeadDim = 128;
constexpr int kBatch = 4;  // key rounds whose loads are in flight together
static_assert(kChunk <= kAttnThreads, "the softmax gives each key of a chunk its own thread");

struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};
struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Keys attended: the source's length, never past its capacity (so a bad length cannot read
// outside the cache), none when below 1.
__device__ __forceinline__ int attended_length(const DecoderAttentionSource& s) {
  const int n = s.length < s.capacity ? s.length : s.capacity;
  return n > 0 ? n : 0;
}

// kVec consecutive elements as floats: one load when the cache base is aligned for it (offsets
// are multiples of kVec, since head_dim is), element loads otherwise.
template <typename T, int kVec>
__device__ __forceinline__ void load_floats(const T* p, bool packed, float (&f)[kVec]) {
  if (packed) {
    const Pack<T, kVec> v = *reinterpret_cast<const Pack<T, kVec>*>(p);
#pragma unroll
    for (int k = 0; k < kVec; ++k) f[k] = to_float(v.v[k]);
  } else {
#pragma unroll
    for (int k = 0; k < kVec; ++k) f[k] = to_float(p[k]);
  }
}

// The workspace: per (row, head, split) the chunk's maximum score, its sum of exp(score - max),
// and its exp-weighted sum of values (head_dim floats); per (row, head) the count of its splits
// that have stored theirs.
struct Partials {
  float* max;
  float* sum;
  float* acc;
  unsigned* arrivals;
};

// Block (row, head, split), kAttnThreads threads. Scores: `group` lanes share a key (a power of
// two covering the head's packs of kVec elements: 8 lanes of 16-byte loads for head_dim 64 in
// half precision), so a warp scores 32 / group keys at once with a short shuffle reduction.
// Values: thread t takes pack t % packs of the keys t / packs, t / packs + key_groups, ..., and
// the key groups' sums meet in shared memory.
template <typename T, int kVec>
__global__ void __launch_bounds__(kAttnThreads)
    decoder_attention_kernel(const T* q, int64_t q_ld, const T* q_bias, const DecoderAttentionSource* sources,
                             int64_t layer, int64_t heads, int head_dim, int group, Partials ws, T* out,
                             int64_t out_ld) {
  constexpr int kLanePacks = (kMaxHeadDim / kVec + kWarpSize - 1) / kWarpSize;
  __shared__ float q_s[kMaxHeadDim];
  __shared__ float p_s[kChunk];
  __shared__ float red[kAttnThreads * kVec];
  __shared__ float shared[kWarpSize + 1];
  __shared__ bool merges;

  const int64_t r = blockIdx.x;
  const int h = static_cast<int>(blockIdx.y), split = static_cast<int>(blockIdx.z);
  const int t = static_cast<int>(threadIdx.x);
  const DecoderAttentionSource src = sources[r];
  const int start = split * kChunk;
  const int len = attended_length(src);
  const int n = len - start < kChunk ? len - start : kChunk;  // keys of this split (none when <= 0)
  const int64_t d = heads * head_dim, capacity = src.capacity;
  const T* base = static_cast<const T*>(src.base);
  const T* keys = base + (layer * 2 * capacity + start) * d + static_cast<int64_t>(h) * head_dim;
  const T* values = base + ((layer * 2 + 1) * capacity + start) * d + static_cast<int64_t>(h) * head_dim;
  const int row_bytes = head_dim * static_cast<int>(sizeof(T));
  for (int i = t; i < 2 * n; i += kAttnThreads) {
    const char* row = reinterpret_cast<const char*>(i < n ? keys + i * d : values + (i - n) * d);
    for (int b = 0; b < row_bytes; b += 128) prefetch_l2(row + b);
  }
  allow_dependent_grids();
  wait_for_prior_grids();

  T* o = out + r * out_ld + static_cast<int64_t>(h) * head_dim;
  if (len == 0) {
    if (split == 0)
      for (int j = t; j < head_dim; j += kAttnThreads) o[j] = from_float<T>(0.f);
    return;
  }
  if (n <= 0) return;  // past the length: the splits that reach it count arrivals among themselves
  const int reached = (len + kChunk - 1) / kChunk;
  const int used = reached < static_cast<int>(gridDim.z) ? reached : static_cast<int>(gridDim.z);

  const bool packed = reinterpret_cast<uintptr_t>(base) % (kVec * sizeof(T)) == 0;
  const int packs = head_dim / kVec;
  const int lane = t % kWarpSize, warp = t / kWarpSize;
  const int member = lane % group;
  // Keys: kBatch rounds at a time, every load of a batch issued before any arithmetic, so a chunk
  // costs one or two memory round trips, not one a round. Values likewise (thread t takes pack
  // t % packs of keys t / packs, t / packs + key_groups, ...). The first batches are loaded before
  // the query is staged, so their round trips overlap its.
  const int keys_per_warp = kWarpSize / group;
  const int keys_per_round = (kAttnThreads / kWarpSize) * keys_per_warp;
  const auto key_of = [&](int k0, int u) { return k0 + u * keys_per_round + warp * keys_per_warp + lane / group; };
  float kv[kBatch][kLanePacks][kVec];
  const auto load_keys = [&](int k0) {
#pragma unroll
    for (int u = 0; u < kBatch; ++u)
#pragma unroll
      for (int i = 0; i < kLanePacks; ++i)
        if (key_of(k0, u) < n && member + i * group < packs)
          load_floats<T, kVec>(keys + key_of(k0, u) * d + (member + i * group) * kVec, packed, kv[u][i]);
  };
  const int key_groups = kAttnThreads / packs;
  const int pk = t % packs, kg = t / packs;
  float vv[kBatch][kVec];
  const auto load_values = [&](int k0) {
#pragma unroll
    for (int u = 0; u < kBatch; ++u)
      if (kg < key_groups && k0 + u * key_groups < n)
        load_floats<T, kVec>(values + (k0 + u * key_groups) * d + pk * kVec, packed, vv[u]);
  };
  load_keys(0);
  load_values(kg);

  for (int j = t; j < head_dim; j += kAttnThreads) {
    float v = to_float(q[r * q_ld + static_cast<int64_t>(h) * head_dim + j]);
    if (q_bias != nullptr) v += to_float(q_bias[static_cast<int64_t>(h) * head_dim + j]);
    q_s[j] = v;
  }
  __syncthreads();

  // Scores q . K_t into p_s.
  float qr[kLanePacks][kVec];
#pragma unroll
  for (int i = 0; i < kLanePacks; ++i) {
    const int p = member + i * group;
#pragma unroll
    for (int k = 0; k < kVec; ++k) qr[i][k] = p < packs ? q_s[p * kVec + k] : 0.f;
  }
  for (int k0 = 0; k0 < n; k0 += kBatch * keys_per_round) {  // uniform over the block: every lane shuffles
    if (k0 > 0) load_keys(k0);
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
      const int key = key_of(k0, u);
      float dot = 0.f;
#pragma unroll
      for (int i = 0; i < kLanePacks; ++i)
        if (key < n && member + i * group < packs) {
#pragma unroll
          for (int k = 0; k < kVec; ++k) dot += qr[i][k] * kv[u][i][k];
        }
      for (int mask = group / 2; mask > 0; mask /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, mask);
      if (key < n && member == 0) p_s[key] = dot;
    }
  }
  __syncthreads();

  // The chunk's softmax numerators, relative to its own maximum.
  const float score = t < n ? p_s[t] : -INFINITY;
  const float m = block_reduce(score, MaxOp{}, -INFINITY, shared);
  const float e = t < n ? expf(score - m) : 0.f;
  if (t < n) p_s[t] = e;
  const float l = block_reduce(e, SumOp{}, 0.f, shared);  // its barriers publish p_s

  // Weighted values.
  if (kg < key_groups) {
    float acc[kVec] = {};
    for (int k0 = kg; k0 < n; k0 += kBatch * key_groups) {
      if (k0 > kg) load_values(k0);
#pragma unroll
      for (int u = 0; u < kBatch; ++u)
        if (k0 + u * key_groups < n) {
          const float w = p_s[k0 + u * key_groups];
#pragma unroll
          for (int k = 0; k < kVec; ++k) acc[k] += w * vv[u][k];
        }
    }
#pragma unroll
    for (int k = 0; k < kVec; ++k) red[kg * head_dim + pk * kVec + k] = acc[k];
  }
  __syncthreads();
  const auto chunk_sum = [&](int j) {
    float a = 0.f;
    for (int g = 0; g < key_groups; ++g) a += red[g * head_dim + j];
    return a;
  };
  if (used == 1) {  // one chunk holds every key: nothing to merge
    for (int j = t; j < head_dim; j += kAttnThreads) o[j] = from_float<T>(chunk_sum(j) / l);
    return;
  }

  const int64_t pair = r * heads + h, idx0 = pair * gridDim.z, idx = idx0 + split;
  for (int j = t; j < head_dim; j += kAttnThreads) ws.acc[idx * head_dim + j] = chunk_sum(j);
  if (t == 0) {
    ws.max[idx] = m;
    ws.sum[idx] = l;
  }
  // The last split of the pair to arrive merges: the fence orders this block's stores before its
  // arrival, and the last one's loads after every other block's (read through L2, not L1).
  __threadfence();
  __syncthreads();
  if (t == 0) merges = atomicAdd(&ws.arrivals[pair], 1u) == static_cast<unsigned>(used - 1);
  __syncthreads();
  if (!merges) return;
  __threadfence();
  // Unrolled so the splits' loads are in flight together rather than one round trip each.
  float mx = -INFINITY;
#pragma unroll 8
  for (int s = 0; s < used; ++s) mx = fmaxf(mx, __ldcg(ws.max + idx0 + s));
  for (int j = t; j < head_dim; j += kAttnThreads) {
    float sum = 0.f, a = 0.f;
#pragma unroll 8
    for (int s = 0; s < used; ++s) {
      const float w = expf(__ldcg(ws.max + idx0 + s) - mx);
      sum += __ldcg(ws.sum + idx0 + s) * w;
      a += __ldcg(ws.acc + (idx0 + s) * head_dim + j) * w;
    }
    o[j] = from_float<T>(a / sum);
  }
  if (t == 0) ws.arrivals[pair] = 0;  // ready for the next launch
}

int64_t split_count(int64_t max_length) { return (max_length + kChunk - 1) / kChunk; }

void check_shape(const char* what, int64_t heads, int64_t head_dim, int64_t max_length) {
  if (heads < 1 || heads > 65535)
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + ": heads " + std::to_string(heads) + " not in 1..65535");
  if (head_dim < 1 || head_dim > kMaxHeadDim)
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + ": head_dim " + std::to_string(head_dim) + " not in 1.." +
                    std::to_string(kMaxHeadDim));
  if (max_length < 1 || split_count(max_length) > 65535)
    throw Error(ErrorCode::InvalidArgument, std::string(what) + ": max_length " + std::to_string(max_length) +
                                                " not in 1.." + std::to_string(65535 * kChunk));
}

template <typename T, int kVec>
void launch_typed(const void* q, int64_t q_ld, const void* q_bias, const DecoderAttentionSource* sources,
                  int64_t layer, int64_t rows, int64_t heads, int head_dim, int64_t splits, Partials ws, void* out,
                  int64_t out_ld, cudaStream_t stream) {
  const int group = std::min(kWarpSize, pow2_at_least(head_dim / kVec));
  const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(heads), static_cast<unsigned>(splits));
  launch_overlapped<decoder_attention_kernel<T, kVec>>(grid, dim3(kAttnThreads), 0, stream,
                                                       static_cast<const T*>(q), q_ld, static_cast<const T*>(q_bias),
                                                       sources, layer, heads, head_dim, group, ws,
                                                       static_cast<T*>(out), out_ld);
}

}  // namespace

size_t decoder_attention_workspace_floats(int64_t rows, int64_t heads, int64_t head_dim, int64_t max_length) {
  constexpr const char* kWhat = "decoder_attention_workspace_floats";
  check_sizes(kWhat, {rows});
  check_shape(kWhat, heads, head_dim, max_length);
  return static_cast<size_t>(rows * heads * split_count(max_length) * (head_dim + 2));
}

void launch_decoder_attention(DType dtype, const void* q, int64_t q_ld, const void* q_bias,
                              const DecoderAttentionSource* sources, int64_t layer, void* out, int64_t out_ld,
                              int64_t rows, int64_t heads, int64_t head_dim, int max_length, float* workspace,
                              unsigned* arrivals, cudaStream_t stream) {
  constexpr const char* kWhat = "launch_decoder_attention";
  check_sizes(kWhat, {q_ld, layer, out_ld, rows});
  check_shape(kWhat, heads, head_dim, max_length);
  check_param(kWhat, "q", q);
  check_param(kWhat, "sources", sources);
  check_param(kWhat, "out", out);
  check_param(kWhat, "workspace", workspace);
  check_param(kWhat, "arrivals", arrivals);
  if (q_ld < heads * head_dim || out_ld < heads * head_dim)
    throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": q_ld " + std::to_string(q_ld) + " or out_ld " +
                                                std::to_string(out_ld) + " below heads * head_dim " +
                                                std::to_string(heads * head_dim));
  if (rows > 0x7fffffff) throw Error(ErrorCode::InvalidArgument, std::string(kWhat) + ": too many rows");
  if (rows == 0) return;
  const int64_t splits = split_count(max_length);
  const int64_t partials = rows * heads * splits;
  const Partials ws{workspace, workspace + partials, workspace + 2 * partials, arrivals};
  const int hd = static_cast<int>(head_dim);
  dispatch_device_float(dtype, kWhat, [&]<typename T>() {
    // The widest loads (16 bytes, 8 bytes, one element) that tile head_dim.
    auto launch = [&]<int kVec>() {
      launch_typed<T, kVec>(q, q_ld, q_bias, sources, layer, rows, heads, hd, splits, ws, out, out_ld, stream);
    };
    constexpr int kWide = kVecWidth<T>, kNarrow = kVecWidth<T> / 2;
    if (hd % kWide == 0) launch.template operator()<kWide>();
    else if (hd % kNarrow == 0) launch.template operator()<kNarrow>();
    else launch.template operator()<1>();
  });
}

}  // namespace lre::cuda
