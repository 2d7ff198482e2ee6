// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against loops: every reduction, weights,
// ignore_index, extra dimensions, the log_prob output, int32 targets, and invalid targets.
#include "op_test_util.h"

namespace lre::test {

namespace {

// Loss of logp (n, c, d) against targets (n, d); empty weight means 1 per class.
std::vector<double> nll_ref(const std::vector<double>& logp, const std::vector<double>& target, const std::vector<double>& weight,
                            int64_t n, int64_t c, int64_t d, int64_t ignore, const std::string& reduction) {
  std::vector<double> loss;
  double total = 0, wsum = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      int64_t t = static_cast<int64_t>(target[static_cast<size_t>(i * d + j)]);
      double l = 0;
      if (t != ignore) {
        double w = weight.empty() ? 1 : weight[static_cast<size_t>(t)];
        l = -w * logp[static_cast<size_t>((i * c + t) * d + j)];
        wsum += w;
      }
      loss.push_back(l);
      total += l;
    }
  if (reduction == "sum") return {total};
  if (reduction == "mean") return {total / wsum};
  return loss;
}

std::vector<double> log_softmax_ref(const std::vector<double>& x, int64_t n, int64_t c, int64_t d) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      double s = 0;
      for (int64_t k = 0; k < c; ++k) s += std::exp(x[static_cast<size_t>((i * c + k) * d + j)]);
      for (int64_t k = 0; k < c; ++k) y[static_cast<size_t>((i * c + k) * d + j)] = x[static_cast<size_t>((i * c + k) * d + j)] - std::log(s);
    }
  return y;
}

}  // namespace

TEST(NegativeLogLikelihoodLoss, ReductionsWeightsAndIgnoreIndex) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 1, -3, 0);
  Tensor target = random_tensor(DType::Int64, {3, 7}, 2, 0, 5);
  Tensor weight = random_tensor(DType::Float32, {5}, 3, 0.1, 1);
  for (const char* reduction : {"none", "sum", "mean"})
    for (bool weighted : {false, true})
      for (int64_t ignore : {int64_t{-100}, int64_t{2}}) {
        SCOPED_TRACE(std::string(reduction) + (weighted ? " weighted" : "") + " ignore " + std::to_string(ignore));
        OpTest t("NegativeLogLikelihoodLoss", 13);
        t.input("x", x).input("t", target);
        if (weighted) t.input("w", weight);
        t.attr("reduction", reduction).output("loss");
        if (ignore != -100) t.attr("ignore_index", ignore);
        auto out = t.run();
        EXPECT_EQ(out[0].shape(), (std::string(reduction) == "none" ? Shape{3, 7} : Shape{}));
        expect_close(out[0], nll_ref(to_doubles(x), to_doubles(target), weighted ? to_doubles(weight) : std::vector<double>{}, 3, 5, 7,
                                     ignore, reduction), 1e-5, 1e-6);
      }
}

TEST(NegativeLogLikelihoodLoss, Int32TargetsWithoutExtraDims) {
  Tensor x = random_tensor(DType::Float64, {9, 4}, 4, -3, 0);
  Tensor target = random_tensor(DType::Int32, {9}, 5, 0, 4);
  auto out = OpTest("NegativeLogLikelihoodLoss", 13).input("x", x).input("t", target).output("loss").run();  // default mean
  expect_close(out[0], nll_ref(to_doubles(x), to_doubles(target), {}, 9, 4, 1, -1, "mean"), 1e-12, 1e-12);
}

TEST(NegativeLogLikelihoodLoss, RejectsBadTargets) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 6);
  EXPECT_THROW(OpTest("NegativeLogLikelihoodLoss", 13).input("x", x).input("t", make_tensor<int64_t>({3}, {0, 5, 1})).output("l").run(), Error);
  EXPECT_THROW(OpTest("NegativeLogLikelihoodLoss", 13).input("x", x).input("t", make_tensor<int64_t>({2}, {0, 1})).output("l").run(), Error);
  EXPECT_THROW(OpTest("NegativeLogLikelihoodLoss", 13).input("x", x).input("t", make_tensor<float>({3}, {0, 1, 2})).output("l").run(), Error);
  EXPECT_THROW(OpTest("NegativeLogLikelihoodLoss", 13).input("x", x).input("t", make_tensor<int64_t>({3}, {0, 1, 2}))
                   .attr("reduction", "avg").output("l").run(), Error);
  EXPECT_THROW(OpTest("NegativeLogLikelihoodLoss", 13).input("x", x).input("t", make_tensor<int64_t>({3}, {0, 1, 2}))
                   .input("w", random_tensor(DType::Float32, {4}, 7)).output("l").run(), Error);
}

TEST(SoftmaxCrossEntropyLoss, LossAndLogProb) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 2, 3}, 8, -4, 4);
  Tensor target = random_tensor(DType::Int64, {3, 2, 3}, 9, 0, 5);
  Tensor weight = random_tensor(DType::Float32, {5}, 10, 0.1, 1);
  std::vector<double> logp = log_softmax_ref(to_doubles(x), 3, 5, 6);
  for (const char* reduction : {"none", "sum", "mean"}) {
    SCOPED_TRACE(reduction);
    auto out = OpTest("SoftmaxCrossEntropyLoss", 13).input("x", x).input("t", target).input("w", weight).attr("reduction", reduction)
                   .attr("ignore_index", int64_t{1}).output("loss").output("log_prob").run();
    expect_close(out[0], nll_ref(logp, to_doubles(target), to_doubles(weight), 3, 5, 6, 1, reduction), 1e-5, 1e-6);
    EXPECT_EQ(out[1].shape(), x.shape());
    expect_close(out[1], logp, 1e-5, 1e-6);
  }
  auto out = OpTest("SoftmaxCrossEntropyLoss", 12).input("x", x).input("t", target).output("loss").run();
  expect_close(out[0], nll_ref(logp, to_doubles(target), {}, 3, 5, 6, -1, "mean"), 1e-5, 1e-6);
}

}  // namespace lre::test
