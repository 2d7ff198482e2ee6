// Split-K ("flash-decoding") attention of decoder query rows over their KV caches. A decode step
// has few rows but up to 1500 keys each, so one block per (row, head) would leave the GPU idle:
// instead block (row, head, split) scores a chunk of kChunk keys, and the last block of a (row,
// head) to finish merges the chunks' (max, sum, weighted values) by log-sum-exp, so no second
// kernel waits on the first. The grid is sized from a host-side bound; actual lengths are read on
// the device, so one captured graph serves every step. Launched to overlap the kernel before it:
// each block asks L2 for its chunk of keys and values before waiting for the query.
//
// After the wait the kernel is latency-bound: what it costs is the chain of dependent steps of a
// block, not bandwidth. So each thread issues all its loads (query, keys, values) before using any,
// each warp runs the softmax over its own keys with shuffles, the block meets once in shared
// memory, and the merging block loads every split's partials at once.
#include <cmath>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/launch_checks.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/decoder_attention.cuh"
#include "kernels/cuda/programmatic_launch.cuh"
#include "lre/error.h"

namespace lre::cuda {

namespace {

// Keys per split: 1500 cross-attention frames give 24 splits, 480 blocks for one row of 20 heads,
// about four per SM of an H100, each loading its 16 KiB of keys and values (half precision, head
// size 64) in one round trip.
constexpr int kChunk = 64;
constexpr int kAttnThreads = 128;
constexpr int kWarps = kAttnThreads / kWarpSize;
constexpr int kMaxHeadDim = 128;
constexpr unsigned kAllLanes = 0xffffffffu;
// Up to this many keys one block takes them all, in passes: a pass more costs one round trip to
// L2, fewer than a merge does (stores and fence, the arrival, the partials' loads).
constexpr int kSoloKeys = 2 * kChunk;
// Keys a lane loads per pass (values too), all issued before any is used: a pass of the kWarps
// warps covers a whole chunk of half-precision heads of size 64. Element loads (kVec 1) take
// fewer, since each holds a register and an address of its own.
template <int kVec> constexpr int kRounds = kVec == 1 ? 2 : 4;

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

// Lanes that share a key: the power of two covering its packs, at most a warp.
__device__ __forceinline__ int lanes_per_key(int packs) {
  return packs >= kWarpSize ? kWarpSize : 1 << (32 - __clz(packs - 1));
}

// Whether p starts an aligned pack of kVec elements (offsets from it being multiples of kVec).
template <typename T, int kVec>
__device__ __forceinline__ bool starts_pack(const T* p) {
  return reinterpret_cast<uintptr_t>(p) % sizeof(Pack<T, kVec>) == 0;
}

// kVec elements of T as one load brings them: 32-bit words (a lone 16-bit element takes one),
// turned into floats only where used, so the half types' keys and values in flight take one
// register per two elements instead of one per element.
template <typename T, int kVec>
struct Bits {
  static constexpr int kWords = kVec * sizeof(T) >= 4 ? kVec * static_cast<int>(sizeof(T)) / 4 : 1;
  uint32_t w[kWords];

  // p must start a pack.
  __device__ __forceinline__ static Bits load(const T* p) {
    Bits b;
    if constexpr (kVec * sizeof(T) >= 4) {
      const auto words = *reinterpret_cast<const Pack<uint32_t, kWords>*>(p);
#pragma unroll
      for (int i = 0; i < kWords; ++i) b.w[i] = words.v[i];
    } else {
      b.w[0] = *reinterpret_cast<const unsigned short*>(p);
    }
    return b;
  }

  __device__ __forceinline__ float operator[](int k) const {
    if constexpr (sizeof(T) == 4) {
      return __uint_as_float(w[k]);
    } else {
      const auto bits = static_cast<unsigned short>(k % 2 ? w[k / 2] >> 16 : w[k / 2]);
      if constexpr (std::is_same_v<T, __half>) return __half2float(__ushort_as_half(bits));
      else return __bfloat162float(__ushort_as_bfloat16(bits));
    }
  }
};

// The workspace: per (row, head, split) the chunk's maximum score, its sum of exp(score - max),
// and its exp-weighted sum of values (head_dim floats); per (row, head) the count of its splits
// that have stored theirs.
struct Partials {
  float* max;
  float* sum;
  float* acc;
  unsigned* arrivals;
};

// Where the warps of a block hand over their partials.
struct WarpPartials {
  float acc[kWarps][kMaxHeadDim];
  float max[kWarps];
  float sum[kWarps];
};

// A block's partial over its keys: maximum score, sum of exp(score - max) and, for thread t,
// element t of the exp-weighted sum of values (0 past head_dim).
struct Partial {
  float max, sum, acc;
};

// Scores keys [0, n) of `keys` (rows d elements apart, head_dim wide) against the query qh (+ bh
// when not null) and weights `values` by them, all with kAttnThreads threads. `group` lanes share
// a key (8 lanes of 16-byte loads for head_dim 64 in half precision), lane `member` of them taking
// packs member, member + group, ..., so a warp takes 32 / group keys per round and kRounds rounds
// per pass. A lane loads its packs of those keys and of their values together, so a key's score,
// summed over its group by shuffles, is at hand in the very lanes that weight its values. Each
// warp keeps its own running maximum, sum and weighted values; the warps meet once at the end.
template <typename T, int kVec>
__device__ __forceinline__ Partial attend_chunk(const T* qh, const T* bh, const T* keys, const T* values, int64_t d,
                                               int n, int head_dim, WarpPartials& shared) {
  constexpr int kLanePacks = (kMaxHeadDim / kVec + kWarpSize - 1) / kWarpSize;
  using B = Bits<T, kVec>;
  const int t = static_cast<int>(threadIdx.x), lane = t % kWarpSize, warp = t / kWarpSize;
  const int packs = head_dim / kVec, group = lanes_per_key(packs);
  const int member = lane % group, slot = lane / group, keys_per_warp = kWarpSize / group;
  const int keys_per_pass = kWarps * keys_per_warp * kRounds<kVec>;
  const auto key_of = [&](int first, int i) { return first + (i * kWarps + warp) * keys_per_warp + slot; };
  // Lanes past the keys or the packs load the last one again rather than branch: such a key's
  // score becomes -inf (weight 0), such a pack meets zeros of the query and is never stored.
  const auto pack_of = [&](int j) { return min(member + j * group, packs - 1) * kVec; };
  B kb[kRounds<kVec>][kLanePacks], vb[kRounds<kVec>][kLanePacks];
  const auto load_pass = [&](int first) {
#pragma unroll
    for (int i = 0; i < kRounds<kVec>; ++i) {
      const int64_t row = min(key_of(first, i), n - 1) * d;
#pragma unroll
      for (int j = 0; j < kLanePacks; ++j) {
        kb[i][j] = B::load(keys + row + pack_of(j));
        vb[i][j] = B::load(values + row + pack_of(j));
      }
    }
  };

  // The query's packs this lane multiplies, loaded in the same round trip as the first pass.
  B qb[kLanePacks];
  B bb[kLanePacks] = {};
#pragma unroll
  for (int j = 0; j < kLanePacks; ++j) {
    qb[j] = B::load(qh + pack_of(j));
    if (bh != nullptr) bb[j] = B::load(bh + pack_of(j));
  }
  load_pass(0);
  float qf[kLanePacks][kVec];
#pragma unroll
  for (int j = 0; j < kLanePacks; ++j)
#pragma unroll
    for (int k = 0; k < kVec; ++k) qf[j][k] = member + j * group < packs ? qb[j][k] + bb[j][k] : 0.f;

  // The warp's running maximum (the same in every lane), and the lane's running sum of
  // exp(score - max) and exp-weighted values over the keys of its slot.
  float m = -INFINITY, l = 0.f, acc[kLanePacks][kVec] = {};
  for (int first = 0; first < n; first += keys_per_pass) {  // uniform over the warp: every lane shuffles
    if (first > 0) load_pass(first);  // the first pass's loads went out with the query's
    float s[kRounds<kVec>];
#pragma unroll
    for (int i = 0; i < kRounds<kVec>; ++i) {
      s[i] = 0.f;
#pragma unroll
      for (int j = 0; j < kLanePacks; ++j)
#pragma unroll
        for (int k = 0; k < kVec; ++k) s[i] += qf[j][k] * kb[i][j][k];
    }
    for (int mask = group / 2; mask > 0; mask /= 2)
#pragma unroll
      for (int i = 0; i < kRounds<kVec>; ++i) s[i] += __shfl_xor_sync(kAllLanes, s[i], mask);
    float pass_max = -INFINITY;
#pragma unroll
    for (int i = 0; i < kRounds<kVec>; ++i) {
      if (key_of(first, i) >= n) s[i] = -INFINITY;
      pass_max = fmaxf(pass_max, s[i]);
    }
    for (int mask = kWarpSize / 2; mask >= group; mask /= 2)
      pass_max = fmaxf(pass_max, __shfl_xor_sync(kAllLanes, pass_max, mask));
    // What the warp holds so far, rescaled to the new maximum. A warp without keys yet measures
    // from 0, so that its zeros stay zeros instead of becoming exp(-inf + inf).
    const float m_new = fmaxf(m, pass_max);
    const float ref = m_new == -INFINITY ? 0.f : m_new;
    const float scale = expf(m - ref);
    m = m_new;
    l *= scale;
#pragma unroll
    for (int j = 0; j < kLanePacks; ++j)
#pragma unroll
      for (int k = 0; k < kVec; ++k) acc[j][k] *= scale;
#pragma unroll
    for (int i = 0; i < kRounds<kVec>; ++i) {
      const float e = expf(s[i] - ref);
      l += e;
#pragma unroll
      for (int j = 0; j < kLanePacks; ++j)
#pragma unroll
        for (int k = 0; k < kVec; ++k) acc[j][k] += e * vb[i][j][k];
    }
  }

  // The warp's slots meet by shuffles; the first slot's lanes hand the warp's partial to the block.
  for (int mask = kWarpSize / 2; mask >= group; mask /= 2) {
    l += __shfl_xor_sync(kAllLanes, l, mask);
#pragma unroll
    for (int j = 0; j < kLanePacks; ++j)
#pragma unroll
      for (int k = 0; k < kVec; ++k) acc[j][k] += __shfl_xor_sync(kAllLanes, acc[j][k], mask);
  }
  if (slot == 0) {
#pragma unroll
    for (int j = 0; j < kLanePacks; ++j)
      if (member + j * group < packs)
#pragma unroll
        for (int k = 0; k < kVec; ++k) shared.acc[warp][(member + j * group) * kVec + k] = acc[j][k];
  }
  if (lane == 0) {
    shared.max[warp] = m;
    shared.sum[warp] = l;
  }
  __syncthreads();
  // The warps' partials rescaled to the largest maximum (finite: the block has keys).
  Partial part{-INFINITY, 0.f, 0.f};
#pragma unroll
  for (int w = 0; w < kWarps; ++w) part.max = fmaxf(part.max, shared.max[w]);
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    const float e = expf(shared.max[w] - part.max);
    part.sum += e * shared.sum[w];
    if (t < head_dim) part.acc += e * shared.acc[w][t];
  }
  return part;
}

// Block (row, head, split), kAttnThreads threads: this split's keys as attend_chunk scores them,
// then either the output (a single split) or the split's partial, the last split of the (row,
// head) to arrive merging them all.
template <typename T, int kVec>
__global__ void __launch_bounds__(kAttnThreads)
    decoder_attention_kernel(const T* q, int64_t q_ld, const T* q_bias, const DecoderAttentionSource* sources,
                             int64_t layer, int64_t heads, int head_dim, Partials ws, T* out, int64_t out_ld) {
  __shared__ WarpPartials shared;
  __shared__ bool merges;

  const int64_t r = blockIdx.x;
  const int h = static_cast<int>(blockIdx.y), split = static_cast<int>(blockIdx.z);
  const int splits = static_cast<int>(gridDim.z);
  const int t = static_cast<int>(threadIdx.x);
  const DecoderAttentionSource src = sources[r];
  // Keys attended (none past the grid's reach), the splits holding them and this split's share.
  const int len = min(attended_length(src), splits * kChunk);
  const int used = len <= kSoloKeys ? 1 : (len + kChunk - 1) / kChunk;
  const int start = split * kChunk;
  const int n = split >= used ? 0 : used == 1 ? len : min(len - start, kChunk);
  const int64_t d = heads * head_dim, capacity = src.capacity;
  const T* base = static_cast<const T*>(src.base);
  const T* keys = base + (layer * 2 * capacity + start) * d + static_cast<int64_t>(h) * head_dim;
  const T* values = keys + capacity * d;
  const int row_bytes = head_dim * static_cast<int>(sizeof(T));
  for (int i = t; i < 2 * n; i += kAttnThreads) {
    const char* row = reinterpret_cast<const char*>(i < n ? keys + i * d : values + (i - n) * d);
    // Every 128-byte line of the row's head slice, which may straddle one.
    const int span = row_bytes + static_cast<int>(reinterpret_cast<uintptr_t>(row) % 128);
    for (int b = 0; b < span; b += 128) prefetch_l2(row + b);
  }
  allow_dependent_grids();
  wait_for_prior_grids();

  T* o = out + r * out_ld + static_cast<int64_t>(h) * head_dim;
  if (len == 0) {
    if (split == 0)
      for (int j = t; j < head_dim; j += kAttnThreads) o[j] = from_float<T>(0.f);
    return;
  }
  if (n == 0) return;  // past the length: the splits that reach it count arrivals among themselves

  const T* qh = q + r * q_ld + static_cast<int64_t>(h) * head_dim;
  const T* bh = q_bias == nullptr ? nullptr : q_bias + static_cast<int64_t>(h) * head_dim;
  // Element loads, with their own layout, where the cache, the query or the bias is off a pack.
  const bool packed =
      kVec == 1 || (starts_pack<T, kVec>(base) && starts_pack<T, kVec>(qh) && (bh == nullptr || starts_pack<T, kVec>(bh)));
  const Partial part = packed ? attend_chunk<T, kVec>(qh, bh, keys, values, d, n, head_dim, shared)
                              : attend_chunk<T, 1>(qh, bh, keys, values, d, n, head_dim, shared);
  if (used == 1) {  // one block holds every key: nothing to merge
    if (t < head_dim) o[t] = from_float<T>(part.acc / part.sum);
    return;
  }

  const int64_t pair = r * heads + h, idx0 = pair * splits, idx = idx0 + split;
  if (t < head_dim) ws.acc[idx * head_dim + t] = part.acc;
  if (t == 0) {
    ws.max[idx] = part.max;
    ws.sum[idx] = part.sum;
  }
  // The last split of the pair to arrive merges. As in a grid-wide barrier, the block barrier
  // orders every thread's stores before thread 0's fence and arrival; the last arrival's fence
  // orders the merge's loads (through L2, not L1) after every other block's stores.
  __syncthreads();
  if (t == 0) {
    __threadfence();
    const bool last = atomicAdd(&ws.arrivals[pair], 1u) == static_cast<unsigned>(used - 1);
    if (last) __threadfence();
    merges = last;
  }
  __syncthreads();
  if (!merges) return;

  // Warp w merges elements [32 w, 32 w + 32) of the head, 32 splits at a time in one round trip:
  // lane s loads split s's maximum and sum, and each lane its element of all 32 splits' weighted
  // values (lanes past the splits or the head load the last one again, weighted 0 or not stored);
  // the splits' weights then reach every lane by shuffles.
  const int lane = t % kWarpSize, warp = t / kWarpSize;
  if (warp * kWarpSize >= head_dim) return;
  const int j = warp * kWarpSize + lane;
  float m = -INFINITY, l = 0.f, a = 0.f;
  for (int s0 = 0; s0 < used; s0 += kWarpSize) {  // uniform over the warp: every lane shuffles
    const int count = min(kWarpSize, used - s0);
    const int64_t first = idx0 + s0;
    const float ms = lane < count ? __ldcg(ws.max + first + lane) : -INFINITY;
    const float ls = lane < count ? __ldcg(ws.sum + first + lane) : 0.f;
    const float* column = ws.acc + first * head_dim + min(j, head_dim - 1);
    float as[kWarpSize];
#pragma unroll
    for (int s = 0; s < kWarpSize; ++s) as[s] = __ldcg(column + min(s, count - 1) * head_dim);
    const float m_new = fmaxf(m, warp_reduce(ms, MaxOp{}));  // finite: every split has keys
    const float w = expf(ms - m_new), scale = expf(m - m_new);
    l = l * scale + warp_reduce(w * ls, SumOp{});
    float batch = 0.f;
#pragma unroll
    for (int s = 0; s < kWarpSize; ++s) batch += __shfl_sync(kAllLanes, w, s) * as[s];
    a = a * scale + batch;
    m = m_new;
  }
  if (j < head_dim) o[j] = from_float<T>(a / l);
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
  const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(heads), static_cast<unsigned>(splits));
  launch_overlapped<decoder_attention_kernel<T, kVec>>(grid, dim3(kAttnThreads), 0, stream,
                                                       static_cast<const T*>(q), q_ld, static_cast<const T*>(q_bias),
                                                       sources, layer, heads, head_dim, ws, static_cast<T*>(out),
                                                       out_ld);
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
