// Building blocks of the row-wise kernels (softmax, normalisation, reductions; include only from
// .cu files): warp and block reductions of any small accumulator under a merge functor, and walks
// over a contiguous row that use 16-byte loads whatever the row's alignment.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "kernels/cuda/device_types.cuh"

namespace lre::cuda {

constexpr int kWarpSize = 32;

// Shuffles any trivially copyable accumulator (a float, a (max, sum) pair, a value and its index)
// word by word.
template <typename A>
__device__ __forceinline__ A shfl_xor(const A& a, int mask) {
  static_assert(sizeof(A) % sizeof(int) == 0, "accumulators are shuffled as 32-bit words");
  constexpr int kWords = static_cast<int>(sizeof(A) / sizeof(int));
  int w[kWords];
  memcpy(w, &a, sizeof(A));
#pragma unroll
  for (int i = 0; i < kWords; ++i) w[i] = __shfl_xor_sync(0xffffffffu, w[i], mask);
  A out;
  memcpy(&out, w, sizeof(A));
  return out;
}

// Butterfly over the full warp: every lane ends with the same result, bit for bit, because each
// merge used here is commutative.
template <typename A, typename Merge>
__device__ __forceinline__ A warp_reduce(A a, Merge merge) {
#pragma unroll
  for (int mask = kWarpSize / 2; mask > 0; mask /= 2) a = merge(a, shfl_xor(a, mask));
  return a;
}

// Reduction over a one-dimensional block (blockDim.x a multiple of 32, every thread calling);
// returns the result to every thread. `shared` holds kWarpSize + 1 accumulators and may be reused
// by the next call: the leading barrier keeps a previous call's readers safe.
template <typename A, typename Merge>
__device__ __forceinline__ A block_reduce(A a, Merge merge, A identity, A* shared) {
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize, warp = static_cast<int>(threadIdx.x) / kWarpSize;
  const int warps = static_cast<int>(blockDim.x) / kWarpSize;
  a = warp_reduce(a, merge);
  __syncthreads();
  if (lane == 0) shared[warp] = a;
  __syncthreads();
  if (warp == 0) {
    A v = lane < warps ? shared[lane] : identity;
    v = warp_reduce(v, merge);
    if (lane == 0) shared[kWarpSize] = v;
  }
  __syncthreads();
  return shared[kWarpSize];
}

// The row kernels run one row per warp (blockDim.x == 32, rows in threadIdx.y) or one row per
// block (blockDim.y == 1); this reduces over whichever group the calling thread belongs to.
template <typename A, typename Merge>
__device__ __forceinline__ A group_reduce(A a, Merge merge, A identity, A* shared) {
  if (blockDim.x == kWarpSize) return warp_reduce(a, merge);
  return block_reduce(a, merge, identity, shared);
}

// The first index of p[0, n) that starts a 16-byte pack (n when none does); p must be aligned to
// its element.
template <typename T>
__device__ __forceinline__ int64_t aligned_head(const T* p, int64_t n) {
  constexpr int kVec = kVecWidth<T>;
  const int64_t off = static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) % 16) / static_cast<int64_t>(sizeof(T));
  return off == 0 ? 0 : (kVec - off < n ? kVec - off : n);
}

// Calls f(value, column) for the elements of p[0, n) that thread t of `threads` owns: a scalar
// head up to the first 16-byte boundary, 16-byte packs, a scalar tail. Which thread owns which
// element depends only on (p, n, threads), so later walks of the same row meet the same elements.
template <typename T, typename F>
__device__ __forceinline__ void for_each_in_row(const T* p, int64_t n, int t, int threads, F&& f) {
  constexpr int kVec = kVecWidth<T>;
  const int64_t head = aligned_head(p, n);
  for (int64_t i = t; i < head; i += threads) f(p[i], i);
  const int64_t packs = (n - head) / kVec;
  const auto* pp = reinterpret_cast<const Pack<T, kVec>*>(p + head);
  for (int64_t i = t; i < packs; i += threads) {
    const Pack<T, kVec> v = pp[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k) f(v.v[k], head + i * kVec + k);
  }
  for (int64_t i = head + packs * kVec + t; i < n; i += threads) f(p[i], i);
}

// y[i] = f(x[i] as float, i) over a contiguous row, split like for_each_in_row; packs on both
// sides when x and y sit equally far from a 16-byte boundary, one element at a time otherwise.
template <typename T, typename F>
__device__ __forceinline__ void map_row(const T* x, T* y, int64_t n, int t, int threads, F&& f) {
  constexpr int kVec = kVecWidth<T>;
  if (reinterpret_cast<uintptr_t>(x) % 16 != reinterpret_cast<uintptr_t>(y) % 16) {
    for (int64_t i = t; i < n; i += threads) y[i] = from_float<T>(f(to_float(x[i]), i));
    return;
  }
  const int64_t head = aligned_head(x, n);
  for (int64_t i = t; i < head; i += threads) y[i] = from_float<T>(f(to_float(x[i]), i));
  const int64_t packs = (n - head) / kVec;
  const auto* xp = reinterpret_cast<const Pack<T, kVec>*>(x + head);
  auto* yp = reinterpret_cast<Pack<T, kVec>*>(y + head);
  for (int64_t i = t; i < packs; i += threads) {
    Pack<T, kVec> v = xp[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k) v.v[k] = from_float<T>(f(to_float(v.v[k]), head + i * kVec + k));
    yp[i] = v;
  }
  for (int64_t i = head + packs * kVec + t; i < n; i += threads) y[i] = from_float<T>(f(to_float(x[i]), i));
}

// The widest pack (16 or 8 bytes, else a single element) that divides rows of n elements and to
// which every non-null pointer given is aligned, so every row of each starts on a pack.
template <typename T>
int row_pack_width(int64_t n, std::initializer_list<const void*> pointers) {
  for (const int w : {kVecWidth<T>, kVecWidth<T> / 2}) {
    if (w < 2 || n % w != 0) continue;
    bool aligned = true;
    for (const void* p : pointers) aligned = aligned && (p == nullptr || is_aligned(p, w * sizeof(T)));
    if (aligned) return w;
  }
  return 1;
}

// Smallest power of two >= v (v >= 1), for block shapes.
inline int pow2_at_least(int64_t v) {
  int p = 1;
  while (p < v && p < (1 << 30)) p *= 2;
  return p;
}

}  // namespace lre::cuda
