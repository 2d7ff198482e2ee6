// Cast and CastLike: every dtype pair on small values, then the edge cases numpy defines
// (truncation, half rounding to nearest even, NaN/inf, 64-bit integers beyond 2^53).
#include "onnx/tensor_proto.h"
#include "op_test_util.h"

namespace lre::test {

namespace {

Tensor cast(const Tensor& x, DType to, int opset = 17) {
  return OpTest("Cast", opset).input("x", x).attr("to", static_cast<int64_t>(dtype_to_onnx(to))).output("y").run()[0];
}

const std::vector<DType> kAll = {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Int8,
                                 DType::Int16,   DType::Int32,   DType::Int64,    DType::UInt8,   DType::UInt16,
                                 DType::UInt32,  DType::UInt64,  DType::Bool};

}  // namespace

TEST(Cast, EveryPairOnExactValues) {
  // Small non-negative integers are exact in every dtype, so each pair must reproduce them.
  for (DType from : kAll) {
    Tensor x(from, {3, 7});
    dispatch_dtype(from, [&]<typename T>() {
      for (int64_t i = 0; i < x.numel(); ++i) x.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>((i * 37) % 61 % (from == DType::Bool ? 2 : 61)));
    });
    std::vector<double> want = to_doubles(x);
    for (DType to : kAll) {
      SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + dtype_name(to));
      Tensor y = cast(x, to);
      EXPECT_EQ(y.dtype(), to);
      std::vector<double> w = want;
      if (to == DType::Bool)
        for (double& v : w) v = v != 0;
      expect_close(y, w, 0, 0);
    }
  }
}

TEST(Cast, FloatToIntegerTruncates) {
  Tensor x = make_tensor<float>({6}, {2.9f, -2.9f, 0.5f, -0.5f, 100.99f, -7.f});
  expect_close(cast(x, DType::Int32), {2, -2, 0, 0, 100, -7}, 0, 0);
  expect_close(cast(x, DType::Int8), {2, -2, 0, 0, 100, -7}, 0, 0);
  expect_close(cast(make_tensor<double>({3}, {-0.0, 0.25, 3.75}), DType::Bool), {0, 1, 1}, 0, 0);
}

TEST(Cast, HalfRoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
  Tensor x = make_tensor<float>({4}, {1.f + 0x1p-11f, 1.f + 3 * 0x1p-11f, 65520.f, -1e-8f});
  // expect_close cannot compare infinities, so compare exactly.
  EXPECT_EQ(to_doubles(cast(x, DType::Float16)), (std::vector<double>{1.0, 1.0 + 0x1p-9, INFINITY, -0.0}));
  Tensor b = make_tensor<float>({2}, {1.f + 0x1p-8f, 1.f + 3 * 0x1p-8f});
  expect_close(cast(b, DType::BFloat16), {1.0, 1.0 + 0x1p-6}, 0, 0);
}

TEST(Cast, NanAndInfinityStayFloat) {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = make_tensor<double>({3}, {std::nan(""), inf, -inf});
  for (DType to : {DType::Float32, DType::Float16, DType::BFloat16}) {
    std::vector<double> got = to_doubles(cast(x, to));
    EXPECT_TRUE(std::isnan(got[0]));
    EXPECT_EQ(got[1], inf);
    EXPECT_EQ(got[2], -inf);
  }
  expect_close(cast(x, DType::Bool), {1, 1, 1}, 0, 0);
}

TEST(Cast, Int64BeyondDoublePrecision) {
  const int64_t big = (int64_t{1} << 60) + 1;
  Tensor y = cast(make_tensor<int64_t>({2}, {big, -big}), DType::UInt64);
  EXPECT_EQ(y.data<uint64_t>()[0], static_cast<uint64_t>(big));
  EXPECT_EQ(y.data<uint64_t>()[1], static_cast<uint64_t>(-big));  // two's-complement wrap, as numpy
  Tensor z = cast(make_tensor<uint64_t>({1}, {static_cast<uint64_t>(big)}), DType::Int64);
  EXPECT_EQ(z.data<int64_t>()[0], big);
  EXPECT_EQ(cast(make_tensor<int32_t>({1}, {300}), DType::UInt8).data<uint8_t>()[0], 44);
}

TEST(Cast, OldOpsetAndCastLike) {
  Tensor x = make_tensor<float>({3}, {1.5f, -2.5f, 3.f});
  expect_close(cast(x, DType::Int64, 7), {1, -2, 3}, 0, 0);
  Tensor y = OpTest("CastLike", 15).input("x", x).input("like", make_tensor<int16_t>({1}, {0})).output("y").run()[0];
  EXPECT_EQ(y.dtype(), DType::Int16);
  expect_close(y, {1, -2, 3}, 0, 0);
}

TEST(Cast, StringIsUnsupported) {
  Tensor x = make_tensor<float>({1}, {1.f});
  try {
    OpTest("Cast").input("x", x).attr("to", int64_t{8}).output("y").run();  // 8 = STRING
    FAIL() << "cast to string should throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
  }
  EXPECT_THROW(OpTest("Cast").input("x", x).output("y").run(), Error);  // no `to`
}

}  // namespace lre::test
