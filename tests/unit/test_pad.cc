// Pad in every mode against an index-mapping reference: pads as attribute (opset < 11) and input,
// negative pads (cropping), constant_value, axes (opset 18), and errors.
#include "movement_test_util.h"

namespace lre::test {

namespace {

Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

// pads: begins then ends, one per axis; pads in reflect mode stay below the axis size.
std::vector<double> pad_ref(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode, double value, Shape& shape) {
  const size_t r = x.rank();
  shape = x.shape();
  for (size_t d = 0; d < r; ++d) shape[d] += pads[d] + pads[d + r];
  std::vector<double> v = to_doubles(x), out;
  for (int64_t i = 0; i < shape_numel(shape); ++i) {
    auto o = unravel(i, shape);
    bool inside = true;
    for (size_t d = 0; d < r; ++d) {
      const int64_t n = x.dim(d);
      int64_t c = o[d] - pads[d];
      if (c < 0 || c >= n) {
        if (mode == "constant") inside = false;
        else if (mode == "edge") c = c < 0 ? 0 : n - 1;
        else if (mode == "reflect") c = c < 0 ? -c : 2 * (n - 1) - c;
        else c = (c + n * 10) % n;
      }
      o[d] = c;
    }
    out.push_back(inside ? v[static_cast<size_t>(ravel(o, x.shape()))] : value);
  }
  return out;
}

}  // namespace

TEST(Pad, EveryModeAgainstReference) {
  Tensor x = random_tensor(DType::Float32, {3, 7, 45}, 1);
  const std::vector<int64_t> pads{1, 0, 5, 2, 3, 11};
  for (std::string mode : {"constant", "reflect", "edge", "wrap"}) {
    Tensor cv = make_tensor<float>({}, {2.5f});
    OpTest t("Pad", mode == "wrap" ? 19 : 13);
    t.input("x", x).constant_input("p", ints(pads)).attr("mode", mode).output("y");
    if (mode == "constant") t.input("v", cv);
    NamedTensors feeds{{"x", x}};
    if (mode == "constant") feeds.emplace_back("v", cv);
    auto out = run_over_garbage(t, feeds);
    Shape want_shape;
    std::vector<double> want = pad_ref(x, pads, mode, 2.5, want_shape);
    ASSERT_EQ(out[0].shape(), want_shape) << mode;
    expect_close(out[0], want, 0, 0);
  }
}

TEST(Pad, NegativePadsCrop) {
  Tensor x = random_tensor(DType::Int64, {5, 9}, 2, -1000, 1000);
  auto out = OpTest("Pad", 13).input("x", x).constant_input("p", ints({-1, 2, -2, -3})).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{2, 8}));
  std::vector<double> v = to_doubles(x), want;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 8; ++c) want.push_back(c < 2 || c - 2 >= 6 ? 0 : v[static_cast<size_t>((r + 1) * 9 + c - 2)]);
  expect_close(out[0], want, 0, 0);
}

TEST(Pad, AttributesBeforeOpset11) {
  Tensor x = random_tensor(DType::Float16, {3, 5}, 3);
  const std::vector<int64_t> pads{2, 1, 0, 3};
  auto out = OpTest("Pad", 7).input("x", x).attr("pads", pads).attr("value", 1.5f).output("y").run();
  Shape want_shape;
  std::vector<double> want = pad_ref(x, pads, "constant", 1.5, want_shape);
  ASSERT_EQ(out[0].shape(), want_shape);
  expect_close(out[0], want, 0, 0);
}

TEST(Pad, AxesInput) {
  Tensor x = random_tensor(DType::UInt8, {3, 5, 4}, 4, 0, 250);
  auto out = OpTest("Pad", 18).input("x", x).constant_input("p", ints({1, 2})).omitted_input().constant_input("a", ints({-2}))
                 .attr("mode", "edge").output("y").run();
  Shape want_shape;
  std::vector<double> want = pad_ref(x, {0, 1, 0, 0, 2, 0}, "edge", 0, want_shape);
  ASSERT_EQ(out[0].shape(), want_shape);
  expect_close(out[0], want, 0, 0);
}

TEST(Pad, RejectsBadPads) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 5);
  EXPECT_THROW(OpTest("Pad", 13).input("x", x).constant_input("p", ints({1, 1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Pad", 13).input("x", x).constant_input("p", ints({-2, 0, -2, 0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Pad", 13).input("x", x).constant_input("p", ints({1, 0, 0, 0})).attr("mode", "mirror").output("y").run(), Error);
  EXPECT_THROW(OpTest("Pad", 13).input("x", Tensor(DType::Float32, {0, 5})).constant_input("p", ints({1, 0, 0, 0})).attr("mode", "edge")
                   .output("y").run(), Error);
  EXPECT_THROW(OpTest("Pad", 13).input("x", x).constant_input("p", ints({1, 0, 0, 0})).input("v", make_tensor<int32_t>({}, {1})).output("y").run(), Error);
}

}  // namespace lre::test
