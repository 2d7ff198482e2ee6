// The einsum contraction loop: output elements in parallel chunks, the summed labels walked with
// an odometer that updates each operand's offset incrementally.
#include "kernels/cpu/einsum.h"

#include <algorithm>
#include <type_traits>

#include "kernels/cpu/sliding_window.h"

namespace lre::cpu {

template <typename T>
void einsum_contract(const std::vector<const T*>& operands, const EinsumPlan& plan, T* out, ThreadPool* pool) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const size_t ops = operands.size(), out_rank = plan.out_dims.size(), sum_rank = plan.sum_dims.size();
  const int64_t total = product(plan.out_dims), sum_total = product(plan.sum_dims);
  auto run = [&](int64_t t0, int64_t t1) {
    std::vector<int64_t> base(ops), off(ops), sidx(sum_rank);
    for (int64_t t = t0; t < t1; ++t) {
      std::fill(base.begin(), base.end(), 0);
      int64_t rest = t;
      for (size_t d = out_rank; d-- > 0;) {
        int64_t i = rest % plan.out_dims[d];
        rest /= plan.out_dims[d];
        for (size_t k = 0; k < ops; ++k) base[k] += i * plan.out_strides[k][d];
      }
      off = base;
      std::fill(sidx.begin(), sidx.end(), 0);
      Acc acc = Acc(0);
      for (int64_t s = 0; s < sum_total; ++s) {
        Acc prod = Acc(1);
        for (size_t k = 0; k < ops; ++k) prod *= static_cast<Acc>(operands[k][off[k]]);
        acc += prod;
        for (size_t d = sum_rank; d-- > 0;) {
          for (size_t k = 0; k < ops; ++k) off[k] += plan.sum_strides[k][d];
          if (++sidx[d] < plan.sum_dims[d]) break;
          for (size_t k = 0; k < ops; ++k) off[k] -= plan.sum_dims[d] * plan.sum_strides[k][d];
          sidx[d] = 0;
        }
      }
      out[t] = static_cast<T>(acc);
    }
  };
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, sum_total));
  if (pool) pool->parallel_for(total, grain, run);
  else run(0, total);
}

template void einsum_contract<float>(const std::vector<const float*>&, const EinsumPlan&, float*, ThreadPool*);
template void einsum_contract<double>(const std::vector<const double*>&, const EinsumPlan&, double*, ThreadPool*);
template void einsum_contract<int32_t>(const std::vector<const int32_t*>&, const EinsumPlan&, int32_t*, ThreadPool*);
template void einsum_contract<int64_t>(const std::vector<const int64_t*>&, const EinsumPlan&, int64_t*, ThreadPool*);
template void einsum_contract<uint32_t>(const std::vector<const uint32_t*>&, const EinsumPlan&, uint32_t*,
                                        ThreadPool*);
template void einsum_contract<uint64_t>(const std::vector<const uint64_t*>&, const EinsumPlan&, uint64_t*,
                                        ThreadPool*);

}  // namespace lre::cpu
