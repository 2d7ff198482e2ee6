// Element-wise ops (unary math, activations, broadcasting binary ops, variadic ops, Where) against
// float64 references written here, on odd shapes so that no vector-width assumption hides a bug.
#include <functional>
#include <limits>

#include "op_test_util.h"
#include "ops/op_util.h"
#include "ops/op_util.h"

namespace lre::test {

namespace {

using Fn1 = std::function<double(double)>;
using Fn2 = std::function<double(double, double)>;

std::vector<double> map1(const Tensor& x, const Fn1& f) {
  std::vector<double> v = to_doubles(x);
  for (double& e : v) e = f(e);
  return v;
}

// Offset into `in` (right-aligned against `out`, broadcast dims of size 1) for output index i.
int64_t broadcast_offset(const Shape& in, const Shape& out, int64_t i) {
  int64_t off = 0, stride = 1;
  for (size_t d = out.size(); d-- > 0;) {
    int64_t coord = i % out[d];
    i /= out[d];
    size_t k = d + in.size();
    if (k < out.size()) continue;
    k -= out.size();
    if (in[k] != 1) off += coord * stride;
    stride *= in[k];
  }
  return off;
}

std::vector<double> map2(const Tensor& a, const Tensor& b, const Shape& out, const Fn2& f) {
  std::vector<double> va = to_doubles(a), vb = to_doubles(b), r;
  int64_t n = shape_numel(out);
  for (int64_t i = 0; i < n; ++i)
    r.push_back(f(va[broadcast_offset(a.shape(), out, i)], vb[broadcast_offset(b.shape(), out, i)]));
  return r;
}

Tensor run1(const std::string& op, const Tensor& x) { return OpTest(op).input("x", x).output("y").run()[0]; }
Tensor run2(const std::string& op, const Tensor& a, const Tensor& b) {
  return OpTest(op).input("a", a).input("b", b).output("y").run()[0];
}

double softplus(double x) { return std::log1p(std::exp(x)); }

}  // namespace

TEST(Unary, FloatMathMatchesReference) {
  struct Case { const char* op; Fn1 f; double lo, hi; };
  const std::vector<Case> cases = {
      {"Exp", [](double x) { return std::exp(x); }, -3, 3},
      {"Log", [](double x) { return std::log(x); }, 0.1, 5},
      {"Sqrt", [](double x) { return std::sqrt(x); }, 0.1, 5},
      {"Reciprocal", [](double x) { return 1 / x; }, 0.5, 3},
      {"Floor", [](double x) { return std::floor(x); }, -4, 4},
      {"Ceil", [](double x) { return std::ceil(x); }, -4, 4},
      {"Sin", [](double x) { return std::sin(x); }, -3, 3},
      {"Cos", [](double x) { return std::cos(x); }, -3, 3},
      {"Tan", [](double x) { return std::tan(x); }, -1, 1},
      {"Asin", [](double x) { return std::asin(x); }, -0.9, 0.9},
      {"Acos", [](double x) { return std::acos(x); }, -0.9, 0.9},
      {"Atan", [](double x) { return std::atan(x); }, -3, 3},
      {"Sinh", [](double x) { return std::sinh(x); }, -3, 3},
      {"Cosh", [](double x) { return std::cosh(x); }, -3, 3},
      {"Asinh", [](double x) { return std::asinh(x); }, -3, 3},
      {"Acosh", [](double x) { return std::acosh(x); }, 1.1, 5},
      {"Atanh", [](double x) { return std::atanh(x); }, -0.9, 0.9},
      {"Erf", [](double x) { return std::erf(x); }, -2, 2},
      {"Sigmoid", [](double x) { return 1 / (1 + std::exp(-x)); }, -6, 6},
      {"Tanh", [](double x) { return std::tanh(x); }, -3, 3},
      {"Softsign", [](double x) { return x / (1 + std::fabs(x)); }, -3, 3},
      {"Softplus", softplus, -5, 5},
      {"Mish", [](double x) { return x * std::tanh(softplus(x)); }, -5, 5},
      {"HardSwish", [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }, -5, 5},
      {"Relu", [](double x) { return std::max(x, 0.0); }, -2, 2},
      {"Abs", [](double x) { return std::fabs(x); }, -2, 2},
      {"Neg", [](double x) { return -x; }, -2, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 11, c.lo, c.hi);
    expect_close(run1(c.op, x), map1(x, c.f), 1e-5, 1e-6);
    Tensor xd = random_tensor(DType::Float64, {13}, 12, c.lo, c.hi);
    expect_close(run1(c.op, xd), map1(xd, c.f), 1e-12, 1e-14);
  }
}

TEST(Unary, HalfTypesComputeInFloat) {
  for (DType t : {DType::Float16, DType::BFloat16}) {
    Tensor x = random_tensor(t, {9, 3}, 5, -2, 2);
    expect_close(run1("Exp", x), map1(x, [](double v) { return std::exp(v); }), 1e-2, 1e-3);
  }
}

TEST(Round, HalfToEven) {
  Tensor x = make_tensor<float>({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f});
  expect_close(run1("Round", x), {0, 2, 2, -0.0, -2, 2, -3}, 0, 0);
}

TEST(Sign, IntegerAndFloat) {
  expect_close(run1("Sign", make_tensor<int32_t>({5}, {-7, 0, 3, -1, 9})), {-1, 0, 1, -1, 1}, 0, 0);
  expect_close(run1("Sign", make_tensor<float>({3}, {-0.5f, 0.f, 2.f})), {-1, 0, 1}, 0, 0);
  expect_close(run1("Abs", make_tensor<int8_t>({3}, {-7, 0, 5})), {7, 0, 5}, 0, 0);
  expect_close(run1("Neg", make_tensor<int64_t>({2}, {-7, 4})), {7, -4}, 0, 0);
}

TEST(IsInf, DetectsRequestedSigns) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  Tensor x = make_tensor<float>({5}, {inf, -inf, nan, 1.f, -2.f});
  expect_close(run1("IsInf", x), {1, 1, 0, 0, 0}, 0, 0);
  expect_close(OpTest("IsInf").input("x", x).attr("detect_negative", 0).output("y").run()[0], {1, 0, 0, 0, 0}, 0, 0);
  expect_close(OpTest("IsInf").input("x", x).attr("detect_positive", 0).output("y").run()[0], {0, 1, 0, 0, 0}, 0, 0);
  expect_close(run1("IsNaN", x), {0, 0, 1, 0, 0}, 0, 0);
  expect_close(run1("Not", make_tensor<bool>({3}, {true, false, true})), {0, 1, 0}, 0, 0);
}

TEST(Unary, RejectsWrongDtypes) {
  EXPECT_THROW(run1("Exp", make_tensor<int32_t>({2}, {1, 2})), Error);
  EXPECT_THROW(run1("Not", make_tensor<float>({2}, {1, 2})), Error);
  EXPECT_THROW(run1("IsNaN", make_tensor<int64_t>({1}, {1})), Error);
}

TEST(Activation, AttributesMatchReference) {
  struct Case { const char* op; std::vector<std::pair<std::string, float>> attrs; Fn1 f; };
  const std::vector<Case> cases = {
      {"LeakyRelu", {{"alpha", 0.3f}}, [](double x) { return x < 0 ? 0.3 * x : x; }},
      {"LeakyRelu", {}, [](double x) { return x < 0 ? 0.01 * x : x; }},
      {"Elu", {{"alpha", 2.f}}, [](double x) { return x < 0 ? 2 * std::expm1(x) : x; }},
      {"Selu", {}, [](double x) { return 1.0507009873554805 * (x <= 0 ? 1.6732632423543772 * std::expm1(x) : x); }},
      {"Selu", {{"alpha", 2.f}, {"gamma", 3.f}}, [](double x) { return 3 * (x <= 0 ? 2 * std::expm1(x) : x); }},
      {"Celu", {{"alpha", 2.f}}, [](double x) { return std::max(0.0, x) + std::min(0.0, 2 * std::expm1(x / 2)); }},
      {"HardSigmoid", {{"alpha", 0.5f}, {"beta", 0.6f}}, [](double x) { return std::clamp(0.5 * x + 0.6, 0.0, 1.0); }},
      {"ThresholdedRelu", {{"alpha", 0.5f}}, [](double x) { return x > 0.5 ? x : 0; }},
      {"Shrink", {{"lambd", 0.7f}, {"bias", 0.2f}}, [](double x) { return x < -0.7 ? x + 0.2 : x > 0.7 ? x - 0.2 : 0; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    Tensor x = random_tensor(DType::Float32, {5, 3, 11}, 21, -3, 3);
    OpTest t(c.op);
    t.input("x", x).output("y");
    for (const auto& [name, v] : c.attrs) t.attr(name, v);
    expect_close(t.run()[0], map1(x, c.f), 1e-5, 1e-6);
  }
}

TEST(PRelu, SlopeBroadcasts) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 31, -2, 2);
  Tensor s = random_tensor(DType::Float32, {5, 1}, 32, 0.1, 0.9);
  expect_close(run2("PRelu", x, s), map2(x, s, x.shape(), [](double v, double a) { return v < 0 ? a * v : v; }));
  EXPECT_THROW(run2("PRelu", x, random_tensor(DType::Float32, {4}, 1)), Error);
}

TEST(Clip, AttributesBeforeOpset11InputsAfter) {
  Tensor x = random_tensor(DType::Float32, {4, 9}, 41, -3, 3);
  auto clamp = [&](double lo, double hi) { return map1(x, [=](double v) { return std::clamp(v, lo, hi); }); };
  expect_close(OpTest("Clip", 6).input("x", x).attr("min", -1.f).attr("max", 0.5f).output("y").run()[0], clamp(-1, 0.5));
  expect_close(OpTest("Clip", 13).input("x", x).input("lo", make_tensor<float>({}, {-0.25f})).output("y").run()[0],
               clamp(-0.25, 1e9));
  expect_close(OpTest("Clip", 13).input("x", x).omitted_input().input("hi", make_tensor<float>({}, {0.f})).output("y").run()[0],
               clamp(-1e9, 0));
  Tensor xi = make_tensor<int32_t>({5}, {-9, -1, 0, 4, 100});
  expect_close(OpTest("Clip", 12).input("x", xi).input("lo", make_tensor<int32_t>({}, {-2})).input("hi", make_tensor<int32_t>({}, {5}))
                   .output("y").run()[0], {-2, -1, 0, 4, 5}, 0, 0);
  // min > max: every value becomes max.
  expect_close(OpTest("Clip", 13).input("x", xi.clone()).input("lo", make_tensor<int32_t>({}, {3})).input("hi", make_tensor<int32_t>({}, {1}))
                   .output("y").run()[0], {1, 1, 1, 1, 1}, 0, 0);
  EXPECT_THROW(OpTest("Clip", 13).input("x", x).input("lo", make_tensor<float>({2}, {0, 1})).output("y").run(), Error);
}

TEST(Binary, ArithmeticBroadcasts) {
  const std::vector<std::pair<const char*, Fn2>> ops = {
      {"Add", [](double a, double b) { return a + b; }},
      {"Sub", [](double a, double b) { return a - b; }},
      {"Mul", [](double a, double b) { return a * b; }},
      {"Div", [](double a, double b) { return a / b; }},
      {"Pow", [](double a, double b) { return std::pow(a, b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 5, 7}, {3, 5, 7}}, {{3, 1, 7}, {5, 1}}, {{7}, {3, 5, 7}}, {{}, {3, 5}}, {{3, 5}, {1}}, {{2, 1, 3, 1}, {1, 5, 1, 7}}};
  for (const auto& [op, f] : ops) {
    for (const auto& [sa, sb] : shapes) {
      SCOPED_TRACE(std::string(op) + " " + shape_to_string(sa) + " " + shape_to_string(sb));
      Tensor a = random_tensor(DType::Float32, sa, 51, 0.5, 2), b = random_tensor(DType::Float32, sb, 52, 0.5, 2);
      Tensor y = run2(op, a, b);
      Shape out = broadcast_shapes(sa, sb);
      EXPECT_EQ(y.shape(), out);
      expect_close(y, map2(a, b, out, f), 1e-5, 1e-6);
    }
  }
}

TEST(Binary, LargeTensorsRunInParallel) {
  Tensor a = random_tensor(DType::Float32, {129, 517}, 61), b = random_tensor(DType::Float32, {517}, 62);
  expect_close(run2("Mul", a, b), map2(a, b, a.shape(), [](double p, double q) { return p * q; }));
  Tensor c = random_tensor(DType::Float32, {129, 1}, 63);
  expect_close(run2("Sub", c, b), map2(c, b, {129, 517}, [](double p, double q) { return p - q; }));
}

TEST(Binary, IntegerDivisionTruncatesAndModFollowsPython) {
  Tensor a = make_tensor<int32_t>({6}, {7, -7, 7, -7, 0, 5}), b = make_tensor<int32_t>({6}, {2, 2, -2, -2, 3, 5});
  expect_close(run2("Div", a, b), {3, -3, -3, 3, 0, 1}, 0, 0);
  expect_close(run2("Mod", a, b), {1, 1, -1, -1, 0, 0}, 0, 0);
  expect_close(OpTest("Mod").input("a", a).input("b", b).attr("fmod", 1).output("y").run()[0], {1, -1, 1, -1, 0, 0}, 0, 0);
  Tensor fa = make_tensor<float>({3}, {5.5f, -5.5f, 4.f}), fb = make_tensor<float>({3}, {2.f, 2.f, -3.f});
  expect_close(OpTest("Mod").input("a", fa).input("b", fb).attr("fmod", 1).output("y").run()[0], {1.5, -1.5, 1}, 0, 0);
  EXPECT_THROW(run2("Mod", fa, fb), Error);  // float Mod needs fmod=1
  EXPECT_THROW(run2("Div", a, make_tensor<int32_t>({1}, {0})), Error);
  // Integer overflow wraps (two's complement), as numpy does.
  expect_close(run2("Add", make_tensor<int32_t>({1}, {2147483647}), make_tensor<int32_t>({1}, {1})), {-2147483648.0}, 0, 0);
}

TEST(Pow, ExponentOfAnotherDtype) {
  Tensor a = random_tensor(DType::Float32, {3, 7}, 71, 0.5, 3);
  Tensor e = make_tensor<int64_t>({7}, {0, 1, 2, 3, -1, -2, 4});
  expect_close(run2("Pow", a, e), map2(a, e, a.shape(), [](double p, double q) { return std::pow(p, q); }));
  expect_close(run2("Pow", make_tensor<int32_t>({3}, {2, -3, 5}), make_tensor<float>({3}, {3.f, 2.f, 0.f})), {8, 9, 1}, 0, 0);
}

TEST(BitShift, LeftAndRight) {
  Tensor a = make_tensor<uint8_t>({4}, {1, 16, 255, 3}), n = make_tensor<uint8_t>({4}, {1, 2, 4, 0});
  expect_close(OpTest("BitShift").input("a", a).input("n", n).attr("direction", "LEFT").output("y").run()[0], {2, 64, 240, 3}, 0, 0);
  expect_close(OpTest("BitShift").input("a", a).input("n", n).attr("direction", "RIGHT").output("y").run()[0], {0, 4, 15, 3}, 0, 0);
  EXPECT_THROW(OpTest("BitShift").input("a", a).input("n", n).attr("direction", "UP").output("y").run(), Error);
}

TEST(Binary, LogicAndComparisons) {
  Tensor p = random_tensor(DType::Bool, {3, 5}, 81), q = random_tensor(DType::Bool, {5}, 82);
  expect_close(run2("And", p, q), map2(p, q, {3, 5}, [](double a, double b) { return double(a && b); }), 0, 0);
  expect_close(run2("Or", p, q), map2(p, q, {3, 5}, [](double a, double b) { return double(a || b); }), 0, 0);
  expect_close(run2("Xor", p, q), map2(p, q, {3, 5}, [](double a, double b) { return double(a != b); }), 0, 0);
  Tensor a = random_tensor(DType::Int32, {3, 1, 5}, 83, -3, 3), b = random_tensor(DType::Int32, {7, 5}, 84, -3, 3);
  const std::vector<std::pair<const char*, Fn2>> cmp = {
      {"Equal", [](double x, double y) { return double(x == y); }},
      {"Less", [](double x, double y) { return double(x < y); }},
      {"Greater", [](double x, double y) { return double(x > y); }},
      {"LessOrEqual", [](double x, double y) { return double(x <= y); }},
      {"GreaterOrEqual", [](double x, double y) { return double(x >= y); }}};
  for (const auto& [op, f] : cmp) {
    SCOPED_TRACE(op);
    Tensor y = run2(op, a, b);
    EXPECT_EQ(y.dtype(), DType::Bool);
    expect_close(y, map2(a, b, {3, 7, 5}, f), 0, 0);
  }
  EXPECT_THROW(run2("And", a, b), Error);
}

TEST(Binary, RejectsBadInputs) {
  EXPECT_THROW(run2("Add", random_tensor(DType::Float32, {3, 4}, 1), random_tensor(DType::Float32, {5}, 2)), Error);
  EXPECT_THROW(run2("Add", random_tensor(DType::Float32, {3}, 1), random_tensor(DType::Float64, {3}, 2)), Error);
}

TEST(Variadic, MaxMinSumMeanBroadcast) {
  Tensor a = random_tensor(DType::Float32, {3, 1, 7}, 91), b = random_tensor(DType::Float32, {5, 1}, 92),
         c = random_tensor(DType::Float32, {7}, 93);
  const Shape out = {3, 5, 7};
  std::vector<double> ab_max = map2(a, b, out, [](double x, double y) { return std::max(x, y); });
  std::vector<double> va = to_doubles(a), vb = to_doubles(b), vc = to_doubles(c);
  const std::vector<std::pair<const char*, std::function<double(double, double, double)>>> ops = {
      {"Max", [](double x, double y, double z) { return std::max({x, y, z}); }},
      {"Min", [](double x, double y, double z) { return std::min({x, y, z}); }},
      {"Sum", [](double x, double y, double z) { return x + y + z; }},
      {"Mean", [](double x, double y, double z) { return (x + y + z) / 3; }}};
  for (const auto& [op, f] : ops) {
    SCOPED_TRACE(op);
    std::vector<double> want;
    for (int64_t i = 0; i < shape_numel(out); ++i)
      want.push_back(f(va[broadcast_offset(a.shape(), out, i)], vb[broadcast_offset(b.shape(), out, i)],
                       vc[broadcast_offset(c.shape(), out, i)]));
    Tensor y = OpTest(op).input("a", a).input("b", b).input("c", c).output("y").run()[0];
    EXPECT_EQ(y.shape(), out);
    expect_close(y, want);
    expect_close(run1(op, a), to_doubles(a));
  }
  EXPECT_THROW(run2("Sum", a, random_tensor(DType::Float32, {4}, 1)), Error);
}

TEST(Where, ThreeWayBroadcast) {
  Tensor c = random_tensor(DType::Bool, {3, 1, 7}, 101), x = random_tensor(DType::Int64, {5, 1}, 102, -50, 50),
         y = random_tensor(DType::Int64, {7}, 103, -50, 50);
  const Shape out = {3, 5, 7};
  std::vector<double> vc = to_doubles(c), vx = to_doubles(x), vy = to_doubles(y), want;
  for (int64_t i = 0; i < shape_numel(out); ++i)
    want.push_back(vc[broadcast_offset(c.shape(), out, i)] != 0 ? vx[broadcast_offset(x.shape(), out, i)]
                                                              : vy[broadcast_offset(y.shape(), out, i)]);
  Tensor r = OpTest("Where").input("c", c).input("x", x).input("y", y).output("r").run()[0];
  EXPECT_EQ(r.shape(), out);
  expect_close(r, want, 0, 0);
  EXPECT_THROW(OpTest("Where").input("c", x).input("x", x).input("y", y).output("r").run(), Error);
}

}  // namespace lre::test

namespace lre::test {

TEST(Binary, LowestIntegerOverMinusOneDoesNotTrap) {
  constexpr int32_t lo = std::numeric_limits<int32_t>::lowest();
  Tensor a = make_tensor<int32_t>({3}, {lo, lo, 7});
  Tensor b = make_tensor<int32_t>({3}, {-1, 2, -1});
  auto q = OpTest("Div").input("a", a).input("b", b).output("y").run();
  EXPECT_EQ(q[0].data<int32_t>()[0], lo);  // wraps, as numpy's int32 division does
  EXPECT_EQ(q[0].data<int32_t>()[1], lo / 2);
  EXPECT_EQ(q[0].data<int32_t>()[2], -7);
  auto r = OpTest("Mod").input("a", a).input("b", b).output("y").run();
  EXPECT_EQ(r[0].data<int32_t>()[0], 0);
  EXPECT_EQ(r[0].data<int32_t>()[1], 0);
  EXPECT_EQ(r[0].data<int32_t>()[2], 0);
}

}  // namespace lre::test

namespace lre::test {

TEST(Variadic, EmptyOutputsAreFine) {
  Tensor a = random_tensor(DType::Float32, {0, 3}, 1);
  Tensor b = random_tensor(DType::Float32, {1, 3}, 2);
  for (const char* op : {"Max", "Min", "Sum", "Mean"}) {
    auto out = OpTest(op).input("a", a).input("b", b).output("y").run();
    EXPECT_EQ(out[0].shape(), (Shape{0, 3})) << op;
  }
  auto sum = OpTest("Add").input("a", a).input("b", b).output("y").run();
  EXPECT_EQ(sum[0].shape(), (Shape{0, 3}));
}

}  // namespace lre::test
