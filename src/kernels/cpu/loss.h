// Classification losses: negative log-likelihood over log-probabilities, the second half of
// SoftmaxCrossEntropyLoss (whose first half is LogSoftmax over the class axis).
#pragma once

#include <cstdint>
#include <optional>

namespace lre::cpu {

enum class LossReduction { None, Sum, Mean };

// logp is (n, c, d) log-probabilities, target (n, d) class indices in [0, c), weight (c) or null.
// Element loss = -weight[t] * logp[i, t, j], 0 where t == ignore_index. With None, out is (n, d);
// Sum gives one value; Mean divides the sum by the total weight of the targets not ignored.
// Throws lre::Error for a target outside [0, c) that is not ignore_index.
template <typename T, typename I>
void nll_loss(const T* logp, const I* target, const T* weight, int64_t n, int64_t c, int64_t d,
              std::optional<int64_t> ignore_index, LossReduction reduction, T* out);

}  // namespace lre::cpu
