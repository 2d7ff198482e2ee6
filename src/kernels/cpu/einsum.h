// Einsum as one generic contraction: every output element is a sum, over the summed labels, of
// the product of the operands. Diagonals and broadcasting are expressed purely through strides
// (a repeated label adds its strides; a broadcast dimension has stride 0).
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

struct EinsumPlan {
  std::vector<int64_t> out_dims;                   // sizes of the output labels, in output order
  std::vector<int64_t> sum_dims;                   // sizes of the summed labels
  std::vector<std::vector<int64_t>> out_strides;   // per operand, per output label
  std::vector<std::vector<int64_t>> sum_strides;   // per operand, per summed label
};

// out (out_dims...) = sum over sum_dims of prod_i operands[i][offset]. Accumulates in double for
// floating types and in T for integers. T: float, double, int32, int64, uint32, uint64.
template <typename T>
void einsum_contract(const std::vector<const T*>& operands, const EinsumPlan& plan, T* out, ThreadPool* pool);

}  // namespace lre::cpu
