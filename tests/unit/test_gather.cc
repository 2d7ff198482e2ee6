// Gather, GatherElements and GatherND against index references, with negative indices, int32 and
// int64 index types, batch_dims, and out-of-range indices that must throw.
#include "movement_test_util.h"

namespace lre::test {

TEST(Gather, AlongAxisWithNegativeIndices) {
  Tensor x = random_tensor(DType::Float32, {3, 11, 7}, 1);
  std::vector<double> v = to_doubles(x);
  Tensor idx = make_tensor<int32_t>({2, 3}, {0, -1, 5, 10, -11, 3});
  auto out = OpTest("Gather").input("x", x).input("i", idx).attr("axis", int64_t{1}).output("y").run();
  const Shape want_shape{3, 2, 3, 7};
  ASSERT_EQ(out[0].shape(), want_shape);
  std::vector<double> want;
  for (int64_t i = 0; i < shape_numel(want_shape); ++i) {
    auto o = unravel(i, want_shape);
    int64_t k = idx.data<int32_t>()[o[1] * 3 + o[2]];
    if (k < 0) k += 11;
    want.push_back(v[static_cast<size_t>(ravel({o[0], k, o[3]}, x.shape()))]);
  }
  expect_close(out[0], want, 0, 0);

  // Scalar index on the last axis drops it; int64 indices; 1-byte elements.
  Tensor b = random_tensor(DType::Bool, {5, 9}, 2);
  out = OpTest("Gather").input("x", b).input("i", make_tensor<int64_t>({}, {-2})).attr("axis", int64_t{-1}).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{5}));
  std::vector<double> bv = to_doubles(b), bw;
  for (int64_t r = 0; r < 5; ++r) bw.push_back(bv[static_cast<size_t>(r * 9 + 7)]);
  expect_close(out[0], bw, 0, 0);
}

TEST(Gather, RejectsOutOfRangeIndices) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 3);
  EXPECT_THROW(OpTest("Gather").input("x", x).input("i", make_tensor<int64_t>({2}, {0, 3})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Gather").input("x", x).input("i", make_tensor<int64_t>({1}, {-4})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Gather").input("x", x).input("i", make_tensor<float>({1}, {0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Gather").input("x", x).input("i", make_tensor<int64_t>({1}, {0})).attr("axis", int64_t{2}).output("y").run(), Error);
}

TEST(GatherElements, PicksAlongAxis) {
  Tensor x = random_tensor(DType::Float32, {5, 7, 3}, 4);
  std::vector<double> v = to_doubles(x);
  const Shape is{4, 9, 3};
  Tensor idx = random_tensor(DType::Int64, is, 5, -7, 7);
  auto out = OpTest("GatherElements").input("x", x).input("i", idx).attr("axis", int64_t{1}).output("y").run();
  ASSERT_EQ(out[0].shape(), is);
  std::vector<double> want;
  for (int64_t i = 0; i < shape_numel(is); ++i) {
    auto o = unravel(i, is);
    o[1] = idx.data<int64_t>()[i] < 0 ? idx.data<int64_t>()[i] + 7 : idx.data<int64_t>()[i];
    want.push_back(v[static_cast<size_t>(ravel(o, x.shape()))]);
  }
  expect_close(out[0], want, 0, 0);
}

TEST(GatherElements, RejectsBadIndices) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 6);
  EXPECT_THROW(OpTest("GatherElements").input("x", x).input("i", make_tensor<int64_t>({1, 2}, {0, 3})).output("y").run(), Error);
  EXPECT_THROW(OpTest("GatherElements").input("x", x).input("i", make_tensor<int64_t>({2}, {0, 1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("GatherElements").input("x", x).input("i", make_tensor<int64_t>({1, 6}, {0, 0, 0, 0, 0, 0})).output("y").run(), Error);
}

TEST(GatherND, BatchDimsAndSlices) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7, 9}, 7);
  std::vector<double> v = to_doubles(x);
  // batch_dims 1, index tuples of 2 -> slices of 9.
  Tensor idx = random_tensor(DType::Int64, {3, 4, 2}, 8, -5, 5);
  int64_t* ip = idx.data<int64_t>();
  for (int64_t i = 1; i < idx.numel(); i += 2) ip[i] = (ip[i] + 12) % 7 - 3;  // second coordinate within [-7, 7)
  auto out = OpTest("GatherND").input("x", x).input("i", idx).attr("batch_dims", int64_t{1}).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{3, 4, 9}));
  std::vector<double> want;
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t t = 0; t < 4; ++t) {
      int64_t a = ip[(b * 4 + t) * 2], c = ip[(b * 4 + t) * 2 + 1];
      a = a < 0 ? a + 5 : a;
      c = c < 0 ? c + 7 : c;
      for (int64_t e = 0; e < 9; ++e) want.push_back(v[static_cast<size_t>(ravel({b, a, c, e}, x.shape()))]);
    }
  expect_close(out[0], want, 0, 0);

  // Full index tuples pick single elements.
  Tensor full = make_tensor<int32_t>({2, 4}, {2, 4, 6, 8, 0, -1, 0, -9});
  out = OpTest("GatherND").input("x", x).input("i", full).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{2}));
  expect_close(out[0], {v[static_cast<size_t>(ravel({2, 4, 6, 8}, x.shape()))], v[static_cast<size_t>(ravel({0, 4, 0, 0}, x.shape()))]}, 0, 0);
}

TEST(GatherND, RejectsBadIndices) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 9);
  EXPECT_THROW(OpTest("GatherND").input("x", x).input("i", make_tensor<int64_t>({1, 2}, {3, 0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("GatherND").input("x", x).input("i", make_tensor<int64_t>({1, 3}, {0, 0, 0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("GatherND").input("x", x).input("i", make_tensor<int64_t>({2, 1}, {0, 0})).attr("batch_dims", int64_t{1}).output("y").run(), Error);
}

}  // namespace lre::test
