// Shared pieces of the data-movement kernels (include only from .cu files): elements moved as
// unsigned integers of their width, the widening of contiguous runs to 16/8/4-byte units, 32-bit
// indexing where a tensor allows it, and argument errors that name the launcher at fault.
#pragma once

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "kernels/cuda/device_types.cuh"
#include "lre/error.h"

namespace lre::cuda {

inline void check_element_bytes(size_t elem_bytes, const char* what) {
  if (elem_bytes != 1 && elem_bytes != 2 && elem_bytes != 4 && elem_bytes != 8)
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + ": elements of " + std::to_string(elem_bytes) + " bytes (expected 1, 2, 4 or 8)");
}

// Calls f.template operator()<T>() with T an unsigned type of elem_bytes (1, 2, 4 or 8) bytes.
template <typename F> void dispatch_element_bytes(size_t elem_bytes, const char* what, F&& f) {
  switch (elem_bytes) {
    case 1: f.template operator()<uint8_t>(); return;
    case 2: f.template operator()<uint16_t>(); return;
    case 4: f.template operator()<uint32_t>(); return;
    case 8: f.template operator()<uint64_t>(); return;
  }
  check_element_bytes(elem_bytes, what);
}

// The same for a unit that widest_unit() chose, which may also be 16 bytes (uint4).
template <typename F> void dispatch_unit(size_t unit, const char* what, F&& f) {
  if (unit == 16) f.template operator()<uint4>();
  else dispatch_element_bytes(unit, what, f);
}

// Index arithmetic in 32 bits where every index fits: 64-bit division costs several times more
// on the GPU, and data movement has few other instructions to hide it behind.
template <typename F> void dispatch_index(int64_t n, F&& f) {
  if (n <= INT32_MAX) f.template operator()<uint32_t>();
  else f.template operator()<int64_t>();
}

// The widest unit (16, 8 or 4 bytes, else elem_bytes) that every pointer is aligned to and that
// divides every byte count, so a contiguous run of elements can be moved as fewer, wider words.
// `counts` are in elements (strides may be negative).
inline size_t widest_unit(size_t elem_bytes, std::span<const void* const> pointers, std::span<const int64_t> counts) {
  for (size_t unit : {size_t{16}, size_t{8}, size_t{4}}) {
    if (unit <= elem_bytes) break;
    bool ok = true;
    for (const void* p : pointers) ok = ok && is_aligned(p, unit);
    for (int64_t c : counts) ok = ok && (c * static_cast<int64_t>(elem_bytes)) % static_cast<int64_t>(unit) == 0;
    if (ok) return unit;
  }
  return elem_bytes;
}

inline int64_t element_count(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline std::string shape_str(std::span<const int64_t> shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

[[noreturn]] inline void fail_argument(const char* launcher, const std::string& why) {
  throw Error(ErrorCode::InvalidArgument, std::string(launcher) + ": " + why);
}

// Launchers build their views in fixed arrays (no allocation per launch) of this many dimensions
// before merging; tensors of higher rank are refused (Unsupported).
constexpr size_t kMaxRank = 64;

inline void check_rank(size_t rank, const char* launcher) {
  if (rank > kMaxRank)
    throw Error(ErrorCode::Unsupported, std::string(launcher) + ": rank " + std::to_string(rank) + " (at most " +
                                            std::to_string(kMaxRank) + ")");
}

[[noreturn]] inline void fail_rank(const char* launcher, int max_dims) {
  throw Error(ErrorCode::Unsupported,
              std::string(launcher) + ": more than " + std::to_string(max_dims) + " dimensions after merging");
}

// Launch shape of the row kernels: blocks of (threads per row, rows per block) that give a thread
// about `per_thread` elements of each row it visits (short rows share a block), and a grid of
// column blocks by row blocks of at most kMaxBlocks blocks in all, so that threads go round several
// rows and whatever they work out once per column is reused.
struct RowsLaunch {
  dim3 grid, block;
};
inline RowsLaunch rows_launch(int64_t rows, int64_t cols, int64_t per_thread, unsigned min_row_threads) {
  const int64_t thread_cols = std::max<int64_t>((cols + per_thread - 1) / per_thread, 1);
  const unsigned row_threads = static_cast<unsigned>(
      std::clamp<uint64_t>(std::bit_ceil(static_cast<uint64_t>(thread_cols)), min_row_threads, kBlockThreads));
  const unsigned rows_per_block = kBlockThreads / row_threads;
  const int64_t col_blocks = std::min<int64_t>((thread_cols + row_threads - 1) / row_threads, kMaxBlocks);
  const int64_t row_blocks = std::min<int64_t>({(rows + rows_per_block - 1) / rows_per_block,
                                                std::max<int64_t>(kMaxBlocks / col_blocks, 1), 65535});
  return {dim3(static_cast<unsigned>(col_blocks), static_cast<unsigned>(std::max<int64_t>(row_blocks, 1))),
          dim3(row_threads, rows_per_block)};
}

// Grid-stride step and first index of the calling thread, in the kernel's index type.
template <typename Index> __device__ __forceinline__ Index grid_first() {
  return static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
}
template <typename Index> __device__ __forceinline__ Index grid_step() {
  return static_cast<Index>(gridDim.x) * blockDim.x;
}

}  // namespace lre::cuda
