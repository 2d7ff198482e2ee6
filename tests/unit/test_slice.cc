// Slice against a reference built on Python's slice rules: attribute form (opset < 10), input form
// with negative steps, negative axes and out-of-range bounds, and errors.
#include <climits>

#include "movement_test_util.h"

namespace lre::test {

namespace {

Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

// Python's slice(start, stop, step).indices(n), listed.
std::vector<int64_t> slice_positions(int64_t n, int64_t start, int64_t stop, int64_t step) {
  auto adjust = [&](int64_t v) {
    if (v < 0) {
      v = v < -n ? -1 : v + n;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= n) {
      v = step < 0 ? n - 1 : n;
    }
    return v;
  };
  std::vector<int64_t> out;
  for (int64_t i = adjust(start); step > 0 ? i < adjust(stop) : i > adjust(stop); i += step) out.push_back(i);
  return out;
}

// x sliced along all axes by per-axis position lists.
std::vector<double> slice_ref(const Tensor& x, const std::vector<std::vector<int64_t>>& pos, Shape& shape) {
  shape.clear();
  for (const auto& p : pos) shape.push_back(static_cast<int64_t>(p.size()));
  std::vector<double> v = to_doubles(x), out;
  for (int64_t i = 0; i < shape_numel(shape); ++i) {
    auto o = unravel(i, shape);
    for (size_t d = 0; d < o.size(); ++d) o[d] = pos[d][static_cast<size_t>(o[d])];
    out.push_back(v[static_cast<size_t>(ravel(o, x.shape()))]);
  }
  return out;
}

std::vector<std::vector<int64_t>> full(const Shape& s) {
  std::vector<std::vector<int64_t>> pos;
  for (int64_t n : s) pos.push_back(slice_positions(n, 0, n, 1));
  return pos;
}

}  // namespace

TEST(Slice, InputsWithStepsAndClamping) {
  Tensor x = random_tensor(DType::Float32, {7, 45, 29}, 1);
  struct Case {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const std::vector<Case> cases = {
      {{1, 3}, {6, -2}, {0, 2}, {2, 1}},
      {{-1, 40}, {INT64_MIN, 2}, {-1, 1}, {-3, -7}},
      {{-100, 1000}, {1000, -1000}, {1, 0}, {1, -1}},
      {{5}, {3}, {2}, {1}},
      {{0, INT64_MAX}, {INT64_MAX, -1}, {0, 1}, {4, -4}},
  };
  for (const Case& c : cases) {
    auto pos = full(x.shape());
    for (size_t i = 0; i < c.axes.size(); ++i) {
      size_t a = static_cast<size_t>(c.axes[i] < 0 ? c.axes[i] + 3 : c.axes[i]);
      pos[a] = slice_positions(x.dim(a), c.starts[i], c.ends[i], c.steps[i]);
    }
    Shape want_shape;
    std::vector<double> want = slice_ref(x, pos, want_shape);
    auto out = OpTest("Slice", 13).input("x", x).constant_input("s", ints(c.starts)).constant_input("e", ints(c.ends))
                   .constant_input("a", ints(c.axes)).constant_input("t", ints(c.steps)).output("y").run();
    ASSERT_EQ(out[0].shape(), want_shape);
    expect_close(out[0], want, 0, 0);
  }
}

TEST(Slice, DefaultAxesAndSteps) {
  Tensor x = random_tensor(DType::Int64, {9, 11}, 2, -1000, 1000);
  auto out = OpTest("Slice", 13).input("x", x).constant_input("s", ints({2, -5})).constant_input("e", ints({7, 100})).output("y").run();
  Shape want_shape;
  std::vector<double> want = slice_ref(x, {slice_positions(9, 2, 7, 1), slice_positions(11, -5, 100, 1)}, want_shape);
  ASSERT_EQ(out[0].shape(), want_shape);
  expect_close(out[0], want, 0, 0);
}

TEST(Slice, AttributesBeforeOpset10) {
  Tensor x = random_tensor(DType::Float16, {5, 13}, 3);
  auto out = OpTest("Slice", 9).input("x", x).attr("starts", std::vector<int64_t>{1}).attr("ends", std::vector<int64_t>{-2})
                 .attr("axes", std::vector<int64_t>{1}).output("y").run();
  Shape want_shape;
  std::vector<double> want = slice_ref(x, {slice_positions(5, 0, 5, 1), slice_positions(13, 1, -2, 1)}, want_shape);
  ASSERT_EQ(out[0].shape(), want_shape);
  expect_close(out[0], want, 0, 0);
}

TEST(Slice, RejectsBadArguments) {
  Tensor x = random_tensor(DType::Float32, {5, 13}, 4);
  EXPECT_THROW(OpTest("Slice", 13).input("x", x).constant_input("s", ints({0})).constant_input("e", ints({3}))
                   .constant_input("a", ints({0})).constant_input("t", ints({0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Slice", 13).input("x", x).constant_input("s", ints({0, 1})).constant_input("e", ints({3})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Slice", 13).input("x", x).constant_input("s", ints({0})).constant_input("e", ints({3}))
                   .constant_input("a", ints({2})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Slice", 13).input("x", x).constant_input("s", ints({0, 0})).constant_input("e", ints({3, 3}))
                   .constant_input("a", ints({1, -1})).output("y").run(), Error);
}

}  // namespace lre::test
