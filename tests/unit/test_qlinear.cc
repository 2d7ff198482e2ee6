// QLinearMatMul and QLinearConv against float64 loops over the dequantise-multiply-requantise
// definition, with per-row / per-column / per-channel parameters, broadcasting, padding, strides,
// dilations and groups, plus invalid shapes.
#include <limits>

#include "op_test_util.h"

namespace lre::test {

namespace {

template <typename Q>
double requant(double acc, double multiplier, double zp) {
  return std::clamp(std::nearbyint(acc * multiplier) + zp, double(std::numeric_limits<Q>::min()),
                    double(std::numeric_limits<Q>::max()));
}

}  // namespace

TEST(QLinearMatMul, BroadcastBatchPerColumnB) {
  const int64_t B = 2, M = 3, K = 5, N = 7;
  Tensor a = random_tensor(DType::UInt8, {B, M, K}, 21, 0, 255);
  Tensor b = random_tensor(DType::Int8, {K, N}, 22, -128, 127);
  Tensor a_s = make_tensor<float>({}, {0.02f});
  Tensor a_zp = make_tensor<uint8_t>({}, {120});
  Tensor b_s = random_tensor(DType::Float32, {N}, 23, 0.005, 0.03);
  Tensor b_zp = random_tensor(DType::Int8, {N}, 24, -5, 5);
  Tensor y_s = make_tensor<float>({}, {0.3f});
  Tensor y_zp = make_tensor<uint8_t>({}, {100});
  auto out = OpTest("QLinearMatMul", 10)
                 .input("a", a)
                 .input("a_s", a_s)
                 .input("a_zp", a_zp)
                 .input("b", b)
                 .input("b_s", b_s)
                 .input("b_zp", b_zp)
                 .input("y_s", y_s)
                 .input("y_zp", y_zp)
                 .output("y")
                 .run();
  ASSERT_EQ(out[0].shape(), (Shape{B, M, N}));
  ASSERT_EQ(out[0].dtype(), DType::UInt8);
  std::vector<double> want;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k)
          acc += (double(a.data<uint8_t>()[(bi * M + i) * K + k]) - 120) *
                 (double(b.data<int8_t>()[k * N + j]) - b_zp.data<int8_t>()[j]);
        want.push_back(requant<uint8_t>(acc, 0.02 * double(b_s.data<float>()[j]) / 0.3f, 100));
      }
  expect_close(out[0], want, 0, 0);
}

TEST(QLinearMatMul, VectorTimesMatrixInt8Output) {
  const int64_t K = 9, N = 3;
  Tensor a = random_tensor(DType::Int8, {K}, 25, -128, 127);
  Tensor b = random_tensor(DType::UInt8, {2, K, N}, 26, 0, 255);
  auto out = OpTest("QLinearMatMul", 10)
                 .input("a", a)
                 .input("a_s", make_tensor<float>({1}, {0.1f}))
                 .input("a_zp", make_tensor<int8_t>({1}, {3}))
                 .input("b", b)
                 .input("b_s", make_tensor<float>({1}, {0.01f}))
                 .input("b_zp", make_tensor<uint8_t>({1}, {128}))
                 .input("y_s", make_tensor<float>({1}, {0.2f}))
                 .input("y_zp", make_tensor<int8_t>({1}, {-4}))
                 .output("y")
                 .run();
  ASSERT_EQ(out[0].shape(), (Shape{2, N}));
  std::vector<double> want;
  for (int64_t bi = 0; bi < 2; ++bi)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k)
        acc += (a.data<int8_t>()[k] - 3.0) * (b.data<uint8_t>()[(bi * K + k) * N + j] - 128.0);
      want.push_back(requant<int8_t>(acc, double(0.1f * 0.01f / 0.2f), -4));
    }
  expect_close(out[0], want, 0, 0);
}

TEST(QLinearMatMul, RejectsBadShapes) {
  auto build = [](Tensor a, Tensor b, Tensor b_s) {
    return OpTest("QLinearMatMul", 10)
        .input("a", a)
        .input("a_s", make_tensor<float>({}, {1}))
        .input("a_zp", make_tensor<uint8_t>({}, {0}))
        .input("b", b)
        .input("b_s", b_s)
        .input("b_zp", make_tensor<uint8_t>({}, {0}))
        .input("y_s", make_tensor<float>({}, {1}))
        .input("y_zp", make_tensor<uint8_t>({}, {0}))
        .output("y");
  };
  Tensor one = make_tensor<float>({}, {1});
  EXPECT_THROW(build(Tensor(DType::UInt8, {2, 3}), Tensor(DType::UInt8, {4, 5}), one).run(), Error);
  EXPECT_THROW(build(Tensor(DType::UInt8, {2, 3}), Tensor(DType::UInt8, {3, 5}), make_tensor<float>({2}, {1, 1})).run(),
               Error);
  EXPECT_THROW(build(Tensor(DType::UInt8, {2, 2, 3}), Tensor(DType::UInt8, {3, 3, 5}), one).run(), Error);
  EXPECT_THROW(build(Tensor(DType::Float32, {2, 3}), Tensor(DType::UInt8, {3, 5}), one).run(), Error);
}

namespace {

struct ConvCase {
  Shape x, w;  // (N, C, spatial...), (M, C / group, kernel...)
  int64_t group = 1;
  std::vector<int64_t> strides, pads, dilations;
  std::string auto_pad;
  bool bias = false;
};

// The float64 convolution of centred operands, requantised per output channel.
std::vector<double> conv_reference(const ConvCase& c, const Tensor& x, int32_t x_zp, const Tensor& w,
                                   const std::vector<int32_t>& w_zp, const std::vector<float>& w_s, float x_s,
                                   float y_s, int32_t y_zp, const Tensor* bias, const Shape& out_shape) {
  const size_t dims = c.x.size() - 2;
  const int64_t N = c.x[0], C = c.x[1], M = c.w[0], cg = C / c.group, mg = M / c.group;
  std::vector<int64_t> pads_begin(dims);
  for (size_t d = 0; d < dims; ++d) {
    const int64_t s = c.strides.empty() ? 1 : c.strides[d], dil = c.dilations.empty() ? 1 : c.dilations[d];
    if (c.auto_pad == "SAME_UPPER") {
      int64_t total = std::max<int64_t>(0, (out_shape[d + 2] - 1) * s + dil * (c.w[d + 2] - 1) + 1 - c.x[d + 2]);
      pads_begin[d] = total / 2;
    } else {
      pads_begin[d] = c.pads.empty() ? 0 : c.pads[d];
    }
  }
  int64_t out_plane = 1, k_plane = 1;
  for (size_t d = 0; d < dims; ++d) out_plane *= out_shape[d + 2], k_plane *= c.w[d + 2];
  std::vector<double> y;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o = 0; o < out_plane; ++o) {
        std::vector<int64_t> opos(dims);
        for (int64_t r = o, d = static_cast<int64_t>(dims) - 1; d >= 0; --d)
          opos[d] = r % out_shape[d + 2], r /= out_shape[d + 2];
        double acc = bias ? bias->data<int32_t>()[m] : 0;
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t k = 0; k < k_plane; ++k) {
            int64_t xoff = 0;
            bool inside = true;
            for (int64_t r = k, d = static_cast<int64_t>(dims) - 1; d >= 0; --d) {
              int64_t kd = r % c.w[d + 2];
              r /= c.w[d + 2];
              int64_t p = opos[d] * (c.strides.empty() ? 1 : c.strides[d]) - pads_begin[d] +
                          kd * (c.dilations.empty() ? 1 : c.dilations[d]);
              inside = inside && p >= 0 && p < c.x[d + 2];
              xoff += p * [&] {
                int64_t st = 1;
                for (size_t e = d + 1; e < dims; ++e) st *= c.x[e + 2];
                return st;
              }();
            }
            if (!inside) continue;
            const int64_t channel = (m / mg) * cg + ci;
            double xv = double(x.data<uint8_t>()[(n * C + channel) * (shape_numel(c.x) / (N * C)) + xoff]) - x_zp;
            double wv = double(w.data<int8_t>()[(m * cg + ci) * k_plane + k]) - w_zp[m];
            acc += xv * wv;
          }
        y.push_back(requant<uint8_t>(acc, double(x_s * w_s[m] / y_s), y_zp));
      }
  return y;
}

void check_conv(const ConvCase& c, const Shape& want_shape) {
  const int64_t M = c.w[0];
  Tensor x = random_tensor(DType::UInt8, c.x, 31, 0, 255);
  Tensor w = random_tensor(DType::Int8, c.w, 32, -128, 127);
  Tensor w_s = random_tensor(DType::Float32, {M}, 33, 0.001, 0.01);
  Tensor w_zp = random_tensor(DType::Int8, {M}, 34, -3, 3);
  Tensor bias = random_tensor(DType::Int32, {M}, 35, -2000, 2000);
  OpTest t("QLinearConv", 10);
  t.input("x", x)
      .input("x_s", make_tensor<float>({}, {0.05f}))
      .input("x_zp", make_tensor<uint8_t>({}, {130}))
      .input("w", w)
      .input("w_s", w_s)
      .input("w_zp", w_zp)
      .input("y_s", make_tensor<float>({}, {0.4f}))
      .input("y_zp", make_tensor<uint8_t>({}, {120}));
  if (c.bias) t.input("B", bias);
  t.output("y").attr("group", c.group);
  if (!c.strides.empty()) t.attr("strides", c.strides);
  if (!c.pads.empty()) t.attr("pads", c.pads);
  if (!c.dilations.empty()) t.attr("dilations", c.dilations);
  if (!c.auto_pad.empty()) t.attr("auto_pad", c.auto_pad);
  auto out = t.run();
  ASSERT_EQ(out[0].shape(), want_shape);
  std::vector<int32_t> zps;
  std::vector<float> scales;
  for (int64_t m = 0; m < M; ++m) zps.push_back(w_zp.data<int8_t>()[m]), scales.push_back(w_s.data<float>()[m]);
  expect_close(out[0],
               conv_reference(c, x, 130, w, zps, scales, 0.05f, 0.4f, 120, c.bias ? &bias : nullptr, want_shape), 0, 0);
}

}  // namespace

TEST(QLinearConv, Conv2dGroupsStridesPadsDilationsBias) {
  ConvCase c{{2, 4, 7, 9}, {6, 2, 3, 2}, 2, {2, 1}, {1, 0, 1, 1}, {1, 2}, "", true};
  // out: (7 + 2 - 3) / 2 + 1 = 4, (9 + 1 - 3) / 1 + 1 = 8
  check_conv(c, {2, 6, 4, 8});
}

TEST(QLinearConv, Conv1dSameUpperAndConv3d) {
  check_conv(ConvCase{{1, 3, 11}, {5, 3, 4}, 1, {2}, {}, {}, "SAME_UPPER", false}, {1, 5, 6});
  check_conv(ConvCase{{1, 2, 3, 5, 4}, {3, 2, 2, 3, 3}, 1, {}, {0, 1, 1, 1, 0, 0}, {}, "", true}, {1, 3, 3, 4, 3});
}

TEST(QLinearConv, RejectsBadShapes) {
  auto build = [](Shape xs, Shape ws, int64_t group, Tensor b) {
    OpTest t("QLinearConv", 10);
    t.input("x", Tensor(DType::UInt8, xs))
        .input("x_s", make_tensor<float>({}, {1}))
        .input("x_zp", make_tensor<uint8_t>({}, {0}))
        .input("w", Tensor(DType::UInt8, ws))
        .input("w_s", make_tensor<float>({}, {1}))
        .input("w_zp", make_tensor<uint8_t>({}, {0}))
        .input("y_s", make_tensor<float>({}, {1}))
        .input("y_zp", make_tensor<uint8_t>({}, {0}));
    if (b.defined()) t.input("B", b);
    t.output("y").attr("group", group);
    return t;
  };
  EXPECT_THROW(build({1, 4, 5, 5}, {2, 3, 3, 3}, 1, {}).run(), Error);  // channels differ
  EXPECT_THROW(build({1, 4, 5, 5}, {3, 2, 3, 3}, 2, {}).run(), Error);  // M not divisible by group
  EXPECT_THROW(build({1, 4, 5, 5}, {2, 4, 3, 3}, 1, Tensor(DType::Int32, {3})).run(), Error);  // bias length
  EXPECT_THROW(build({1, 4, 2, 2}, {2, 4, 3, 3}, 1, {}).run(), Error);  // kernel larger than input
  EXPECT_THROW(build({1, 4, 5}, {2, 4, 3, 3}, 1, {}).run(), Error);     // rank mismatch
}

}  // namespace lre::test
