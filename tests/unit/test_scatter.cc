// ScatterElements (reductions, duplicates, the old Scatter name) and ScatterND against sequential
// references, and errors for bad indices and shapes.
#include "movement_test_util.h"

namespace lre::test {

namespace {

double reduce(double a, double b, const std::string& r) {
  if (r == "add") return a + b;
  if (r == "mul") return a * b;
  if (r == "max") return std::max(a, b);
  if (r == "min") return std::min(a, b);
  return b;
}

}  // namespace

TEST(ScatterElements, ReductionsWithDuplicates) {
  Tensor x = random_tensor(DType::Float32, {5, 7, 3}, 1);
  const Shape is{4, 9, 3};
  Tensor idx = random_tensor(DType::Int64, is, 2, -7, 7);  // many duplicates along axis 1
  Tensor upd = random_tensor(DType::Float32, is, 3);
  for (std::string r : {"none", "add", "mul"}) {
    OpTest t("ScatterElements", 16);
    t.input("x", x).input("i", idx).input("u", upd).attr("axis", int64_t{1}).output("y");
    if (r != "none") t.attr("reduction", r);
    auto out = run_over_garbage(t, {{"x", x}, {"i", idx}, {"u", upd}});
    std::vector<double> want = to_doubles(x), u = to_doubles(upd);
    for (int64_t i = 0; i < shape_numel(is); ++i) {
      auto o = unravel(i, is);
      int64_t k = idx.data<int64_t>()[i];
      o[1] = k < 0 ? k + 7 : k;
      double& w = want[static_cast<size_t>(ravel(o, x.shape()))];
      w = reduce(w, u[static_cast<size_t>(i)], r);
    }
    expect_close(out[0], want, 1e-6, 1e-6);
  }
}

TEST(ScatterElements, OldScatterNameAndIntegerData) {
  Tensor x = random_tensor(DType::Int32, {3, 5}, 4, -100, 100);
  Tensor idx = make_tensor<int32_t>({2, 2}, {1, 0, 2, 2});
  Tensor upd = make_tensor<int32_t>({2, 2}, {7, 8, 9, 10});
  auto out = OpTest("Scatter", 9).input("x", x).input("i", idx).input("u", upd).output("y").run();
  std::vector<double> want = to_doubles(x);
  want[5 + 0] = 7;
  want[0 + 1] = 8;
  want[10 + 0] = 9;
  want[10 + 1] = 10;
  expect_close(out[0], want, 0, 0);
}

TEST(ScatterElements, RejectsBadInputs) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 5);
  Tensor u = random_tensor(DType::Float32, {1, 2}, 6);
  EXPECT_THROW(OpTest("ScatterElements").input("x", x).input("i", make_tensor<int64_t>({1, 2}, {0, 3})).input("u", u).output("y").run(), Error);
  EXPECT_THROW(OpTest("ScatterElements").input("x", x).input("i", make_tensor<int64_t>({1, 3}, {0, 1, 2})).input("u", u).output("y").run(), Error);
  EXPECT_THROW(OpTest("ScatterElements", 16).input("x", x).input("i", make_tensor<int64_t>({1, 2}, {0, 1})).input("u", u)
                   .attr("reduction", "xor").output("y").run(), Error);
  EXPECT_THROW(OpTest("ScatterElements").input("x", x).input("i", make_tensor<int64_t>({1, 2}, {0, 1}))
                   .input("u", random_tensor(DType::Int32, {1, 2}, 7)).output("y").run(), Error);
}

TEST(ScatterND, SlicesWithReductions) {
  Tensor x = random_tensor(DType::Float32, {5, 7, 9}, 8);
  Tensor idx = make_tensor<int64_t>({2, 3, 2}, {0, 1, 4, -1, 0, 1, 2, 3, -5, -6, 4, 6});
  Tensor upd = random_tensor(DType::Float32, {2, 3, 9}, 9);
  for (std::string r : {"none", "add", "mul"}) {
    OpTest t("ScatterND", 16);
    t.input("x", x).input("i", idx).input("u", upd).output("y");
    if (r != "none") t.attr("reduction", r);
    auto out = t.run();
    std::vector<double> want = to_doubles(x), u = to_doubles(upd);
    for (int64_t k = 0; k < 6; ++k) {
      int64_t a = idx.data<int64_t>()[2 * k], b = idx.data<int64_t>()[2 * k + 1];
      a = a < 0 ? a + 5 : a;
      b = b < 0 ? b + 7 : b;
      for (int64_t e = 0; e < 9; ++e) {
        double& w = want[static_cast<size_t>(ravel({a, b, e}, x.shape()))];
        w = reduce(w, u[static_cast<size_t>(k * 9 + e)], r);
      }
    }
    expect_close(out[0], want, 1e-6, 1e-6);
  }
}

TEST(ScatterND, RejectsBadInputs) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 10);
  EXPECT_THROW(OpTest("ScatterND").input("x", x).input("i", make_tensor<int64_t>({1, 1}, {3})).input("u", random_tensor(DType::Float32, {1, 5}, 11))
                   .output("y").run(), Error);
  EXPECT_THROW(OpTest("ScatterND").input("x", x).input("i", make_tensor<int64_t>({1, 1}, {0})).input("u", random_tensor(DType::Float32, {1, 4}, 12))
                   .output("y").run(), Error);
  EXPECT_THROW(OpTest("ScatterND").input("x", x).input("i", make_tensor<int64_t>({1, 3}, {0, 0, 0})).input("u", random_tensor(DType::Float32, {1}, 13))
                   .output("y").run(), Error);
}

}  // namespace lre::test
