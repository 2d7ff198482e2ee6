// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: hand-checked rounding (half to
// even) and saturation, per-axis cases against float64 loops, and invalid scales and zero points.
#include <limits>

#include "op_test_util.h"

namespace lre::test {

namespace {

template <typename Q>
double quantize_ref(double x, double scale, double zp) {
  double q = std::nearbyint(x / scale) + zp;
  return std::clamp(q, double(std::numeric_limits<Q>::min()), double(std::numeric_limits<Q>::max()));
}

}  // namespace

TEST(QuantizeLinear, RoundsHalfToEvenAndSaturates) {
  Tensor x = make_tensor<float>({13}, {0, 2, 3, 1000, -254, -1000, 2.5f, 3.5f, -0.5f, -1.5f, 5, -3, 7});
  auto out = OpTest("QuantizeLinear")
                 .input("x", x)
                 .input("s", make_tensor<float>({}, {2}))
                 .input("zp", make_tensor<uint8_t>({}, {128}))
                 .output("y")
                 .run();
  ASSERT_EQ(out[0].dtype(), DType::UInt8);
  expect_close(out[0], {128, 129, 130, 255, 1, 0, 129, 130, 128, 127, 130, 126, 132}, 0, 0);
}

TEST(QuantizeLinear, DefaultsToUint8ZeroPoint) {
  auto out = OpTest("QuantizeLinear", 10)
                 .input("x", make_tensor<float>({5}, {-1, 0.4f, 0.6f, 300, 77.5f}))
                 .input("s", make_tensor<float>({}, {1}))
                 .output("y")
                 .run();
  ASSERT_EQ(out[0].dtype(), DType::UInt8);
  expect_close(out[0], {0, 0, 1, 255, 78}, 0, 0);
}

TEST(QuantizeLinear, PerAxisInt8MatchesReference) {
  for (int64_t axis : {1, -2}) {
    Tensor x = random_tensor(DType::Float32, {2, 3, 5}, 3, -40, 40);
    Tensor s = make_tensor<float>({3}, {0.25f, 0.3f, 0.07f});
    Tensor zp = make_tensor<int8_t>({3}, {-3, 0, 10});
    auto out =
        OpTest("QuantizeLinear").input("x", x).input("s", s).input("zp", zp).output("y").attr("axis", axis).run();
    std::vector<double> want;
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t c = (i / 5) % 3;
      want.push_back(quantize_ref<int8_t>(x.data<float>()[i], s.data<float>()[c], zp.data<int8_t>()[c]));
    }
    ASSERT_EQ(out[0].dtype(), DType::Int8);
    expect_close(out[0], want, 0, 0);
  }
}

TEST(QuantizeLinear, HalfAndInt32Inputs) {
  Tensor xh = random_tensor(DType::Float16, {3, 7}, 4, -3, 3);
  auto out = OpTest("QuantizeLinear")
                 .input("x", xh)
                 .input("s", make_tensor<float>({}, {0.05f}))
                 .input("zp", make_tensor<uint8_t>({}, {100}))
                 .output("y")
                 .run();
  std::vector<double> xd = to_doubles(xh), want;
  for (double v : xd) want.push_back(quantize_ref<uint8_t>(v, 0.05f, 100));
  expect_close(out[0], want, 0, 0);

  auto out32 = OpTest("QuantizeLinear")
                   .input("x", make_tensor<int32_t>({4}, {-700, -5, 6, 900}))
                   .input("s", make_tensor<float>({}, {4}))
                   .input("zp", make_tensor<int8_t>({}, {1}))
                   .output("y")
                   .run();
  expect_close(out32[0], {-128, 0, 3, 127}, 0, 0);  // -5/4 = -1.25 -> -1; 6/4 = 1.5 -> 2
}

TEST(QuantizeLinear, RejectsBadScalesAndZeroPoints) {
  Tensor x = random_tensor(DType::Float32, {2, 3, 5}, 5);
  // Per-axis scale whose length does not match the axis.
  EXPECT_THROW(
      OpTest("QuantizeLinear").input("x", x).input("s", make_tensor<float>({4}, {1, 1, 1, 1})).output("y").run(),
      Error);
  // Zero point shaped unlike the scale.
  EXPECT_THROW(OpTest("QuantizeLinear")
                   .input("x", x)
                   .input("s", make_tensor<float>({3}, {1, 1, 1}))
                   .input("zp", make_tensor<uint8_t>({}, {0}))
                   .output("y")
                   .run(),
               Error);
  // Per-axis scales do not exist before opset 13.
  EXPECT_THROW(
      OpTest("QuantizeLinear", 10).input("x", x).input("s", make_tensor<float>({3}, {1, 1, 1})).output("y").run(),
      Error);
  // int8 input, int16 zero point, axis out of range.
  EXPECT_THROW(OpTest("QuantizeLinear")
                   .input("x", make_tensor<int8_t>({2}, {1, 2}))
                   .input("s", make_tensor<float>({}, {1}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("QuantizeLinear")
                   .input("x", x)
                   .input("s", make_tensor<float>({}, {1}))
                   .input("zp", make_tensor<int16_t>({}, {0}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("QuantizeLinear")
                   .input("x", x)
                   .input("s", make_tensor<float>({3}, {1, 1, 1}))
                   .attr("axis", 3)
                   .output("y")
                   .run(),
               Error);
}

TEST(DequantizeLinear, PerTensorHandChecked) {
  auto out = OpTest("DequantizeLinear")
                 .input("x", make_tensor<int8_t>({5}, {-128, -1, 0, 3, 127}))
                 .input("s", make_tensor<float>({}, {0.5f}))
                 .input("zp", make_tensor<int8_t>({}, {-2}))
                 .output("y")
                 .run();
  ASSERT_EQ(out[0].dtype(), DType::Float32);
  expect_close(out[0], {-63, 0.5, 1, 2.5, 64.5}, 0, 0);
}

TEST(DequantizeLinear, PerAxisUint8AndInt32) {
  Tensor x = random_tensor(DType::UInt8, {3, 5, 7}, 6, 0, 255);
  Tensor s = random_tensor(DType::Float32, {5}, 7, 0.01, 0.2);
  Tensor zp = random_tensor(DType::UInt8, {5}, 8, 0, 255);
  auto out = OpTest("DequantizeLinear").input("x", x).input("s", s).input("zp", zp).output("y").run();
  std::vector<double> want;
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t c = (i / 7) % 5;
    want.push_back((double(x.data<uint8_t>()[i]) - zp.data<uint8_t>()[c]) * s.data<float>()[c]);
  }
  expect_close(out[0], want, 1e-6, 1e-6);

  auto out32 = OpTest("DequantizeLinear")
                   .input("x", make_tensor<int32_t>({3}, {-100000, 7, 123456}))
                   .input("s", make_tensor<float>({}, {0.25f}))
                   .output("y")
                   .run();
  expect_close(out32[0], {-25000, 1.75, 30864}, 0, 0);
}

TEST(DequantizeLinear, RejectsMismatchedZeroPoint) {
  EXPECT_THROW(OpTest("DequantizeLinear")
                   .input("x", make_tensor<uint8_t>({2}, {1, 2}))
                   .input("s", make_tensor<float>({}, {1}))
                   .input("zp", make_tensor<int8_t>({}, {0}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("DequantizeLinear")
                   .input("x", make_tensor<float>({2}, {1, 2}))
                   .input("s", make_tensor<float>({}, {1}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("DequantizeLinear")
                   .input("x", make_tensor<uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6}))
                   .input("s", make_tensor<float>({2, 1}, {1, 1}))
                   .output("y")
                   .run(),
               Error);
}

TEST(DynamicQuantizeLinear, MatchesSpecFormula) {
  // The ONNX example: range [-3, 2] gives scale 5/255 and zero point 153.
  auto hand = OpTest("DynamicQuantizeLinear", 11)
                  .input("x", make_tensor<float>({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f}))
                  .output("y")
                  .output("s")
                  .output("zp")
                  .run();
  expect_close(hand[0], {153, 255, 0, 26, 221, 179}, 0, 0);
  expect_close(hand[1], {5.0 / 255}, 1e-6, 0);
  expect_close(hand[2], {153}, 0, 0);

  Tensor x = random_tensor(DType::Float32, {37, 29}, 9, -2, 5);
  auto out = OpTest("DynamicQuantizeLinear", 11).input("x", x).output("y").output("s").output("zp").run();
  float lo = 0, hi = 0;
  for (float v : x.span<float>()) lo = std::min(lo, v), hi = std::max(hi, v);
  const float scale = (hi - lo) / 255.f;
  const float zp = static_cast<float>(quantize_ref<uint8_t>(-lo, scale, 0));
  std::vector<double> want;
  for (float v : x.span<float>()) want.push_back(std::clamp(std::nearbyint(v / scale) + zp, 0.f, 255.f));
  expect_close(out[0], want, 0, 0);
  expect_close(out[1], {scale}, 0, 0);
  expect_close(out[2], {zp}, 0, 0);
}

TEST(DynamicQuantizeLinear, AllZeroAndPositiveOnly) {
  auto zero = OpTest("DynamicQuantizeLinear", 11)
                  .input("x", Tensor(DType::Float32, {3, 3}))
                  .output("y")
                  .output("s")
                  .output("zp")
                  .run();
  expect_close(zero[0], std::vector<double>(9, 0), 0, 0);
  expect_close(zero[1], {0}, 0, 0);
  // Only y wanted; the range still includes 0, so the zero point is 0.
  auto pos = OpTest("DynamicQuantizeLinear", 11)
                 .input("x", make_tensor<float>({3}, {1, 2, 5.1f}))
                 .output("y")
                 .output("")
                 .output("")
                 .run();
  expect_close(pos[0], {50, 100, 255}, 0, 0);
  EXPECT_THROW(OpTest("DynamicQuantizeLinear", 11).input("x", make_tensor<int32_t>({1}, {1})).output("y").run(), Error);
}

}  // namespace lre::test
