// Batch, instance and layer normalisation, LRN, MeanVarianceNormalization and LpNormalization
// against float64 loops, across opsets (spatial=0, training outputs), with invalid shapes.
#include "op_test_util.h"

namespace lre::test {

namespace {

// x (n, c, inner) normalised per (n, c) slice or per channel with given statistics.
std::vector<double> affine_ref(const std::vector<double>& x, int64_t n, int64_t c, int64_t inner, const std::vector<double>& mean,
                               const std::vector<double>& var, const std::vector<double>& scale, const std::vector<double>& bias,
                               double eps, bool per_slice) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k) {
      size_t s = static_cast<size_t>(per_slice ? i * c + k : k);
      for (int64_t j = 0; j < inner; ++j) {
        size_t at = static_cast<size_t>((i * c + k) * inner + j);
        y[at] = (x[at] - mean[s]) / std::sqrt(var[s] + eps) * scale[static_cast<size_t>(k)] + bias[static_cast<size_t>(k)];
      }
    }
  return y;
}

// Mean and population variance per channel (over n and inner) or per (n, c) slice.
void stats_ref(const std::vector<double>& x, int64_t n, int64_t c, int64_t inner, bool per_slice, std::vector<double>& mean,
               std::vector<double>& var) {
  size_t groups = static_cast<size_t>(per_slice ? n * c : c);
  mean.assign(groups, 0);
  var.assign(groups, 0);
  std::vector<double> count(groups, 0);
  auto each = [&](auto&& f) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < c; ++k)
        for (int64_t j = 0; j < inner; ++j)
          f(static_cast<size_t>(per_slice ? i * c + k : k), x[static_cast<size_t>((i * c + k) * inner + j)]);
  };
  each([&](size_t g, double v) {
    mean[g] += v;
    count[g] += 1;
  });
  for (size_t g = 0; g < groups; ++g) mean[g] /= count[g];
  each([&](size_t g, double v) { var[g] += (v - mean[g]) * (v - mean[g]); });
  for (size_t g = 0; g < groups; ++g) var[g] /= count[g];
}

}  // namespace

TEST(BatchNormalization, InferenceAcrossOpsets) {
  Tensor x = random_tensor(DType::Float32, {2, 3, 5, 7}, 1, -2, 2);
  Tensor scale = random_tensor(DType::Float32, {3}, 2), bias = random_tensor(DType::Float32, {3}, 3);
  Tensor mean = random_tensor(DType::Float32, {3}, 4), var = random_tensor(DType::Float32, {3}, 5, 0.5, 2);
  auto want = affine_ref(to_doubles(x), 2, 3, 35, to_doubles(mean), to_doubles(var), to_doubles(scale), to_doubles(bias), 1e-3, false);
  for (int opset : {7, 9, 14, 15}) {
    SCOPED_TRACE(opset);
    auto out = OpTest("BatchNormalization", opset).input("x", x).input("s", scale).input("b", bias).input("m", mean).input("v", var)
                   .attr("epsilon", 1e-3f).output("y").run();
    expect_close(out[0], want, 1e-5, 1e-6);
  }
}

TEST(BatchNormalization, MixedParameterTypesOpset15) {
  Tensor x = random_tensor(DType::Float16, {3, 2, 9}, 6, -2, 2);
  Tensor scale = random_tensor(DType::Float32, {2}, 7), bias = random_tensor(DType::Float32, {2}, 8);
  Tensor mean = random_tensor(DType::Float64, {2}, 9), var = random_tensor(DType::Float64, {2}, 10, 0.5, 2);
  auto out = OpTest("BatchNormalization", 15).input("x", x).input("s", scale).input("b", bias).input("m", mean).input("v", var)
                 .output("y").run();
  EXPECT_EQ(out[0].dtype(), DType::Float16);
  expect_close(out[0], affine_ref(to_doubles(x), 3, 2, 9, to_doubles(mean), to_doubles(var), to_doubles(scale), to_doubles(bias), 1e-5, false),
               1e-2, 1e-2);
}

TEST(BatchNormalization, SpatialZeroHasParametersPerPosition) {
  Tensor x = random_tensor(DType::Float32, {3, 2, 5}, 11);
  Tensor scale = random_tensor(DType::Float32, {2, 5}, 12), bias = random_tensor(DType::Float32, {2, 5}, 13);
  Tensor mean = random_tensor(DType::Float32, {2, 5}, 14), var = random_tensor(DType::Float32, {2, 5}, 15, 0.5, 2);
  auto out = OpTest("BatchNormalization", 7).input("x", x).input("s", scale).input("b", bias).input("m", mean).input("v", var)
                 .attr("spatial", 0).output("y").run();
  expect_close(out[0], affine_ref(to_doubles(x), 3, 10, 1, to_doubles(mean), to_doubles(var), to_doubles(scale), to_doubles(bias), 1e-5, false),
               1e-5, 1e-6);
}

TEST(BatchNormalization, TrainingModeUsesBatchStatistics) {
  Tensor x = random_tensor(DType::Float32, {4, 3, 11}, 16, -3, 3);
  Tensor scale = random_tensor(DType::Float32, {3}, 17), bias = random_tensor(DType::Float32, {3}, 18);
  Tensor mean = random_tensor(DType::Float32, {3}, 19), var = random_tensor(DType::Float32, {3}, 20, 0.5, 2);
  std::vector<double> bm, bv;
  stats_ref(to_doubles(x), 4, 3, 11, false, bm, bv);
  std::vector<double> rm(3), rv(3);
  for (size_t k = 0; k < 3; ++k) {
    rm[k] = to_doubles(mean)[k] * 0.8 + bm[k] * 0.2;
    rv[k] = to_doubles(var)[k] * 0.8 + bv[k] * 0.2;
  }
  auto want = affine_ref(to_doubles(x), 4, 3, 11, bm, bv, to_doubles(scale), to_doubles(bias), 1e-5, false);
  auto out = OpTest("BatchNormalization", 15).input("x", x).input("s", scale).input("b", bias).input("m", mean).input("v", var)
                 .attr("training_mode", 1).attr("momentum", 0.8f).output("y").output("rm").output("rv").run();
  expect_close(out[0], want, 1e-4, 1e-5);
  expect_close(out[1], rm, 1e-5, 1e-6);
  expect_close(out[2], rv, 1e-5, 1e-6);
  // Before opset 14, asking for the extra outputs is what selects training.
  out = OpTest("BatchNormalization", 9).input("x", x).input("s", scale).input("b", bias).input("m", mean).input("v", var)
            .attr("momentum", 0.8f).output("y").output("rm").output("rv").output("sm").output("sv").run();
  expect_close(out[0], want, 1e-4, 1e-5);
  expect_close(out[1], rm, 1e-5, 1e-6);
  expect_close(out[3], bm, 1e-5, 1e-6);
  expect_close(out[4], bv, 1e-5, 1e-6);
}

TEST(BatchNormalization, RejectsBadShapes) {
  Tensor x = random_tensor(DType::Float32, {2, 3, 5}, 21);
  Tensor p3 = random_tensor(DType::Float32, {3}, 22), p4 = random_tensor(DType::Float32, {4}, 23);
  EXPECT_THROW(OpTest("BatchNormalization", 15).input("x", x).input("s", p4).input("b", p3).input("m", p3).input("v", p3).output("y").run(), Error);
  EXPECT_THROW(OpTest("BatchNormalization", 15).input("x", random_tensor(DType::Float32, {5}, 24)).input("s", p3).input("b", p3)
                   .input("m", p3).input("v", p3).output("y").run(), Error);
  EXPECT_THROW(OpTest("BatchNormalization", 15).input("x", x).input("s", p3).input("b", p3).input("m", p3).output("y").run(), Error);
}

TEST(InstanceNormalization, NormalisesEachSlice) {
  Tensor x = random_tensor(DType::Float32, {2, 3, 11}, 25, -2, 2);
  Tensor scale = random_tensor(DType::Float32, {3}, 26), bias = random_tensor(DType::Float32, {3}, 27);
  std::vector<double> m, v;
  stats_ref(to_doubles(x), 2, 3, 11, true, m, v);
  auto out = OpTest("InstanceNormalization", 13).input("x", x).input("s", scale).input("b", bias).attr("epsilon", 0.01f).output("y").run();
  expect_close(out[0], affine_ref(to_doubles(x), 2, 3, 11, m, v, to_doubles(scale), to_doubles(bias), 0.01, true), 1e-4, 1e-5);
  EXPECT_THROW(OpTest("InstanceNormalization", 13).input("x", x).input("s", random_tensor(DType::Float32, {2}, 28)).input("b", bias)
                   .output("y").run(), Error);
}

TEST(LayerNormalization, BroadcastParametersAndStatistics) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 29, -2, 2);
  Tensor scale = random_tensor(DType::Float32, {5, 7}, 30), bias = random_tensor(DType::Float32, {7}, 31);
  auto out = OpTest("LayerNormalization", 17).input("x", x).input("s", scale).input("b", bias).attr("axis", 1).attr("epsilon", 0.1f)
                 .output("y").output("mean").output("inv").run();
  std::vector<double> xd = to_doubles(x), sd = to_doubles(scale), bd = to_doubles(bias), want(xd.size()), wm, wi;
  for (size_t r = 0; r < 3; ++r) {
    double m = 0, v = 0;
    for (size_t j = 0; j < 35; ++j) m += xd[r * 35 + j] / 35;
    for (size_t j = 0; j < 35; ++j) v += (xd[r * 35 + j] - m) * (xd[r * 35 + j] - m) / 35;
    double inv = 1 / std::sqrt(v + 0.1);
    wm.push_back(m);
    wi.push_back(inv);
    for (size_t j = 0; j < 35; ++j) want[r * 35 + j] = (xd[r * 35 + j] - m) * inv * sd[j] + bd[j % 7];
  }
  expect_close(out[0], want, 1e-5, 1e-5);
  EXPECT_EQ(out[1].shape(), (Shape{3, 1, 1}));
  expect_close(out[1], wm, 1e-5, 1e-6);
  expect_close(out[2], wi, 1e-5, 1e-6);
  out = OpTest("LayerNormalization", 17).input("x", x).input("s", scale).attr("axis", -2).attr("epsilon", 0.1f).output("y").run();
  for (size_t i = 0; i < want.size(); ++i) want[i] -= bd[i % 7];
  expect_close(out[0], want, 1e-5, 1e-5);
}

TEST(LayerNormalization, RejectsBadScaleAndAxis) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 32);
  EXPECT_THROW(OpTest("LayerNormalization", 17).input("x", x).input("s", random_tensor(DType::Float32, {5}, 33)).output("y").run(), Error);
  EXPECT_THROW(OpTest("LayerNormalization", 17).input("x", x).input("s", random_tensor(DType::Float32, {7}, 34)).attr("axis", 3)
                   .output("y").run(), Error);
  EXPECT_THROW(OpTest("LayerNormalization", 17).input("x", x).input("s", random_tensor(DType::Float32, {7}, 35)).attr("stash_type", 10)
                   .output("y").run(), Error);
}

TEST(LRN, SumsSquaresOverNeighbouringChannels) {
  Tensor x = random_tensor(DType::Float32, {2, 5, 3, 3}, 36, -2, 2);
  const int64_t size = 4;
  const double alpha = 0.02, beta = 0.75, bias = 1.5;
  auto out = OpTest("LRN", 13).input("x", x).attr("size", size).attr("alpha", static_cast<float>(alpha)).attr("beta", static_cast<float>(beta))
                 .attr("bias", static_cast<float>(bias)).output("y").run();
  std::vector<double> xd = to_doubles(x), want(xd.size());
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t c = 0; c < 5; ++c)
      for (int64_t j = 0; j < 9; ++j) {
        double sq = 0;
        for (int64_t q = c - 1; q <= c + 2; ++q)  // floor((size-1)/2) before, ceil((size-1)/2) after
          if (q >= 0 && q < 5) sq += xd[static_cast<size_t>((i * 5 + q) * 9 + j)] * xd[static_cast<size_t>((i * 5 + q) * 9 + j)];
        size_t at = static_cast<size_t>((i * 5 + c) * 9 + j);
        want[at] = xd[at] / std::pow(bias + alpha / size * sq, beta);
      }
  expect_close(out[0], want, 1e-5, 1e-6);
  EXPECT_THROW(OpTest("LRN", 13).input("x", x).attr("size", 0).output("y").run(), Error);
}

TEST(MeanVarianceNormalization, DefaultAndGivenAxes) {
  Tensor x = random_tensor(DType::Float32, {2, 3, 5, 7}, 37, -2, 2);
  std::vector<double> xd = to_doubles(x);
  // Default axes (0, 2, 3): statistics per channel.
  std::vector<double> m, v;
  stats_ref(xd, 2, 3, 35, false, m, v);
  std::vector<double> want(xd.size());
  for (size_t i = 0; i < xd.size(); ++i) {
    size_t c = (i / 35) % 3;
    want[i] = (xd[i] - m[c]) / (std::sqrt(v[c]) + 1e-9);
  }
  auto out = OpTest("MeanVarianceNormalization", 13).input("x", x).output("y").run();
  expect_close(out[0], want, 1e-4, 1e-5);
  // Axes (1,): statistics per (n, h, w) across channels.
  for (size_t n = 0; n < 2; ++n)
    for (size_t j = 0; j < 35; ++j) {
      double mm = 0, vv = 0;
      for (size_t c = 0; c < 3; ++c) mm += xd[(n * 3 + c) * 35 + j] / 3;
      for (size_t c = 0; c < 3; ++c) vv += (xd[(n * 3 + c) * 35 + j] - mm) * (xd[(n * 3 + c) * 35 + j] - mm) / 3;
      for (size_t c = 0; c < 3; ++c) want[(n * 3 + c) * 35 + j] = (xd[(n * 3 + c) * 35 + j] - mm) / (std::sqrt(vv) + 1e-9);
    }
  out = OpTest("MeanVarianceNormalization", 13).input("x", x).attr("axes", std::vector<int64_t>{1}).output("y").run();
  expect_close(out[0], want, 1e-4, 1e-5);
  EXPECT_THROW(OpTest("MeanVarianceNormalization", 13).input("x", x).attr("axes", std::vector<int64_t>{1, -3}).output("y").run(), Error);
}

TEST(LpNormalization, OneAndTwoNorms) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 38, -2, 2);
  std::vector<double> xd = to_doubles(x);
  for (int p : {1, 2}) {
    std::vector<double> want(xd.size());
    for (size_t o = 0; o < 3; ++o)
      for (size_t j = 0; j < 7; ++j) {
        double norm = 0;
        for (size_t k = 0; k < 5; ++k) norm += p == 1 ? std::fabs(xd[(o * 5 + k) * 7 + j]) : std::pow(xd[(o * 5 + k) * 7 + j], 2);
        if (p == 2) norm = std::sqrt(norm);
        for (size_t k = 0; k < 5; ++k) want[(o * 5 + k) * 7 + j] = xd[(o * 5 + k) * 7 + j] / norm;
      }
    auto out = OpTest("LpNormalization", 13).input("x", x).attr("axis", 1).attr("p", p).output("y").run();
    expect_close(out[0], want, 1e-5, 1e-6);
  }
  auto out = OpTest("LpNormalization", 13).input("x", make_tensor<float>({2, 2}, {0, 0, 3, 4})).output("y").run();
  expect_close(out[0], {0, 0, 0.6, 0.8}, 1e-6, 1e-7);
  EXPECT_THROW(OpTest("LpNormalization", 13).input("x", x).attr("p", 3).output("y").run(), Error);
}

}  // namespace lre::test
