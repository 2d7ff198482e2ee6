// Transpose (every fast path: row copies, tiled transposes, reversed axes), DepthToSpace and
// SpaceToDepth against index-arithmetic references.
#include "movement_test_util.h"

namespace lre::test {

namespace {

std::vector<double> transpose_ref(const Tensor& x, const std::vector<int64_t>& perm) {
  std::vector<double> v = to_doubles(x);
  Shape out_shape;
  for (int64_t p : perm) out_shape.push_back(x.dim(static_cast<size_t>(p)));
  std::vector<double> out(v.size());
  std::vector<int64_t> src(perm.size());
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    std::vector<int64_t> o = unravel(i, out_shape);
    for (size_t d = 0; d < perm.size(); ++d) src[static_cast<size_t>(perm[d])] = o[d];
    out[static_cast<size_t>(i)] = v[static_cast<size_t>(ravel(src, x.shape()))];
  }
  return out;
}

}  // namespace

TEST(Transpose, MatchesReferenceForManyPermutations) {
  Tensor x = random_tensor(DType::Float32, {5, 37, 29, 23}, 1);
  const std::vector<std::vector<int64_t>> perms = {{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 3, 2}, {2, 0, 3, 1}};
  for (const auto& perm : perms) {
    auto out = OpTest("Transpose").input("x", x).attr("perm", perm).output("y").run();
    ASSERT_EQ(out[0].shape(), (Shape{x.dim(perm[0]), x.dim(perm[1]), x.dim(perm[2]), x.dim(perm[3])}));
    expect_close(out[0], transpose_ref(x, perm), 0, 0);
  }
  auto out = OpTest("Transpose").input("x", x).output("y").run();
  expect_close(out[0], transpose_ref(x, {3, 2, 1, 0}), 0, 0);
}

TEST(Transpose, EveryElementSize) {
  for (DType t : {DType::Int8, DType::Float16, DType::Int32, DType::Int64, DType::Bool}) {
    Tensor x = random_tensor(t, {3, 1, 45, 67}, 2, -100, 100);
    auto out = OpTest("Transpose").input("x", x).attr("perm", std::vector<int64_t>{2, 1, 3, 0}).output("y").run();
    expect_close(out[0], transpose_ref(x, {2, 1, 3, 0}), 0, 0);
  }
}

TEST(Transpose, RejectsBadPermutations) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 3);
  EXPECT_THROW(OpTest("Transpose").input("x", x).attr("perm", std::vector<int64_t>{0, 1}).output("y").run(), Error);
  EXPECT_THROW(OpTest("Transpose").input("x", x).attr("perm", std::vector<int64_t>{0, 1, 1}).output("y").run(), Error);
  EXPECT_THROW(OpTest("Transpose").input("x", x).attr("perm", std::vector<int64_t>{0, 1, 3}).output("y").run(), Error);
}

TEST(DepthToSpace, DcrAndCrdModes) {
  const int64_t n = 2, c = 3, h = 5, w = 7, b = 3;
  Tensor x = random_tensor(DType::Float32, {n, c * b * b, h, w}, 4);
  std::vector<double> v = to_doubles(x);
  for (const char* mode : {"DCR", "CRD"}) {
    auto out = OpTest("DepthToSpace").input("x", x).attr("blocksize", b).attr("mode", mode).output("y").run();
    ASSERT_EQ(out[0].shape(), (Shape{n, c, h * b, w * b}));
    std::vector<double> want(v.size());
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
      auto o = unravel(i, out[0].shape());
      const int64_t bi = o[2] % b, bj = o[3] % b;
      const int64_t ch = std::string(mode) == "DCR" ? (bi * b + bj) * c + o[1] : o[1] * b * b + bi * b + bj;
      want[static_cast<size_t>(i)] = v[static_cast<size_t>(ravel({o[0], ch, o[2] / b, o[3] / b}, x.shape()))];
    }
    expect_close(out[0], want, 0, 0);
  }
  EXPECT_THROW(OpTest("DepthToSpace").input("x", random_tensor(DType::Float32, {1, 5, 2, 2}, 5)).attr("blocksize", 2).output("y").run(), Error);
  EXPECT_THROW(OpTest("DepthToSpace").input("x", x).attr("blocksize", b).attr("mode", "XYZ").output("y").run(), Error);
}

TEST(SpaceToDepth, MovesBlocksToChannels) {
  const int64_t n = 2, c = 3, h = 5, w = 7, b = 3;
  Tensor x = random_tensor(DType::Int16, {n, c, h * b, w * b}, 6, -1000, 1000);
  std::vector<double> v = to_doubles(x);
  auto out = OpTest("SpaceToDepth").input("x", x).attr("blocksize", b).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{n, c * b * b, h, w}));
  std::vector<double> want(v.size());
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    auto o = unravel(i, out[0].shape());
    const int64_t blk = o[1] / c, ch = o[1] % c;
    want[static_cast<size_t>(i)] = v[static_cast<size_t>(ravel({o[0], ch, o[2] * b + blk / b, o[3] * b + blk % b}, x.shape()))];
  }
  expect_close(out[0], want, 0, 0);
  EXPECT_THROW(OpTest("SpaceToDepth").input("x", random_tensor(DType::Float32, {1, 2, 5, 6}, 7)).attr("blocksize", 2).output("y").run(), Error);
  EXPECT_THROW(OpTest("SpaceToDepth").input("x", random_tensor(DType::Float32, {2, 6, 6}, 7)).attr("blocksize", 2).output("y").run(), Error);
}

}  // namespace lre::test
