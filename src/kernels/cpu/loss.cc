// NLL loss kernel: one pass over the targets (n * d of them, each reading one log-probability),
// summed in double.
#include "kernels/cpu/loss.h"

#include <string>

#include "core/dispatch.h"
#include "lre/error.h"

namespace lre::cpu {

template <typename T, typename I>
void nll_loss(const T* logp, const I* target, const T* weight, int64_t n, int64_t c, int64_t d,
              std::optional<int64_t> ignore_index, LossReduction reduction, T* out) {
  using C = compute_t<T>;
  double total = 0, total_weight = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const int64_t t = static_cast<int64_t>(target[i * d + j]);
      double loss = 0;
      if (!(ignore_index && t == *ignore_index)) {
        if (t < 0 || t >= c)
          throw Error(ErrorCode::InvalidArgument, "target " + std::to_string(t) + " at flat index " + std::to_string(i * d + j) +
                                                      " is not a class in [0, " + std::to_string(c) + ")");
        const double w = weight ? static_cast<double>(static_cast<C>(weight[t])) : 1.0;
        loss = -w * static_cast<double>(static_cast<C>(logp[(i * c + t) * d + j]));
        total_weight += w;
      }
      if (reduction == LossReduction::None) out[i * d + j] = static_cast<T>(static_cast<C>(loss));
      total += loss;
    }
  if (reduction == LossReduction::Sum) out[0] = static_cast<T>(static_cast<C>(total));
  if (reduction == LossReduction::Mean) out[0] = static_cast<T>(static_cast<C>(total / total_weight));
}

#define LRE_INSTANTIATE_NLL(T, I)                                                                                     \
  template void nll_loss<T, I>(const T*, const I*, const T*, int64_t, int64_t, int64_t, std::optional<int64_t>, \
                               LossReduction, T*);
LRE_INSTANTIATE_NLL(float, int32_t)
LRE_INSTANTIATE_NLL(float, int64_t)
LRE_INSTANTIATE_NLL(double, int32_t)
LRE_INSTANTIATE_NLL(double, int64_t)
LRE_INSTANTIATE_NLL(Half, int32_t)
LRE_INSTANTIATE_NLL(Half, int64_t)
LRE_INSTANTIATE_NLL(BFloat16, int32_t)
LRE_INSTANTIATE_NLL(BFloat16, int64_t)
#undef LRE_INSTANTIATE_NLL

}  // namespace lre::cpu
