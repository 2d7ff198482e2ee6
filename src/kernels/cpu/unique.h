// Unique: groups equal slices of a tensor (elements when there is no axis) and reports, per
// group, its first occurrence and size, and per slice its group. Groups come out in ascending
// order (sorted) or in order of first occurrence.
#pragma once

#include <cstdint>
#include <vector>

namespace lre::cpu {

struct UniqueGroups {
  std::vector<int64_t> first;    // per group: index of its first slice
  std::vector<int64_t> counts;   // per group: number of slices
  std::vector<int64_t> inverse;  // per slice: its group
};

// x is seen as (outer, n, inner): slice i is x[:, i, :], compared lexicographically in row-major
// order. Floating-point NaNs sort last and equal each other. T is any dtype's storage type.
template <typename T>
UniqueGroups unique_slices(const T* x, int64_t outer, int64_t n, int64_t inner, bool sorted);

// y (outer, count, inner) = x (outer, n, inner) at slices `which` (count of them), for elements
// of `elem_size` bytes.
void gather_slices(const void* x, int64_t elem_size, int64_t outer, int64_t n, int64_t inner, const int64_t* which,
                   int64_t count, void* y);

}  // namespace lre::cpu
