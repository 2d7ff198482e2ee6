// NonZero, Compress and ReverseSequence: data-dependent output sizes (re-inferred on every run)
// and per-batch reversal, against loop references.
#include "movement_test_util.h"

namespace lre::test {

TEST(NonZero, CoordinatesInRowMajorOrder) {
  Tensor x = random_tensor(DType::Int32, {3, 5, 7}, 1, -2, 2);  // about half zeros
  std::vector<double> v = to_doubles(x);
  std::vector<std::vector<int64_t>> coords;
  for (int64_t i = 0; i < x.numel(); ++i)
    if (v[static_cast<size_t>(i)] != 0) coords.push_back(unravel(i, x.shape()));
  auto out = OpTest("NonZero").input("x", x).output("y").run();
  const int64_t n = static_cast<int64_t>(coords.size());
  ASSERT_EQ(out[0].shape(), (Shape{3, n}));
  std::vector<double> want;
  for (size_t d = 0; d < 3; ++d)
    for (const auto& c : coords) want.push_back(static_cast<double>(c[d]));
  expect_close(out[0], want, 0, 0);

  // The same engine, different data: the output size follows the data.
  Tensor few = make_tensor<float>({2, 2}, {0, 1.5f, 0, 0});
  Tensor none = make_tensor<float>({2, 2}, {0, 0, 0, 0});
  auto e = OpTest("NonZero").input("x", few).output("y").engine();
  ExecutionContext c2(e, {.threads = 2});
  auto r1 = c2.run({{"x", few}});
  expect_close(r1[0], {0, 1}, 0, 0);
  auto r2 = c2.run({{"x", none}});
  EXPECT_EQ(r2[0].shape(), (Shape{2, 0}));
}

TEST(Compress, WithAndWithoutAxis) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 2);
  std::vector<double> v = to_doubles(x);
  Tensor cond = make_tensor<bool>({4}, {true, false, true, true});
  auto out = OpTest("Compress").input("x", x).input("c", cond).attr("axis", int64_t{-2}).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{3, 3, 7}));
  std::vector<double> want;
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b : {0, 2, 3})
      for (int64_t c = 0; c < 7; ++c) want.push_back(v[static_cast<size_t>(ravel({a, b, c}, x.shape()))]);
  expect_close(out[0], want, 0, 0);

  out = OpTest("Compress").input("x", x).input("c", cond).output("y").run();
  expect_close(out[0], {v[0], v[2], v[3]}, 0, 0);

  EXPECT_THROW(OpTest("Compress").input("x", x).input("c", make_tensor<bool>({6}, {0, 0, 0, 0, 0, 1})).attr("axis", int64_t{1}).output("y").run(), Error);
  EXPECT_THROW(OpTest("Compress").input("x", x).input("c", make_tensor<int64_t>({2}, {1, 0})).output("y").run(), Error);
}

TEST(ReverseSequence, TimeMajorAndBatchMajor) {
  const int64_t steps = 6, batch = 4, feat = 5;
  const std::vector<int64_t> lens{6, 0, 3, 1};
  for (int64_t time_axis : {0, 1}) {
    const int64_t batch_axis = 1 - time_axis;
    Shape s = time_axis == 0 ? Shape{steps, batch, feat} : Shape{batch, steps, feat};
    Tensor x = random_tensor(DType::Float32, s, 3);
    std::vector<double> v = to_doubles(x), want(v.size());
    for (int64_t i = 0; i < x.numel(); ++i) {
      auto o = unravel(i, s);
      const int64_t b = o[static_cast<size_t>(batch_axis)], t = o[static_cast<size_t>(time_axis)];
      if (t < lens[static_cast<size_t>(b)]) o[static_cast<size_t>(time_axis)] = lens[static_cast<size_t>(b)] - 1 - t;
      want[static_cast<size_t>(i)] = v[static_cast<size_t>(ravel(o, s))];
    }
    auto out = OpTest("ReverseSequence").input("x", x).input("l", make_tensor<int64_t>({4}, lens)).attr("time_axis", time_axis)
                   .attr("batch_axis", batch_axis).output("y").run();
    expect_close(out[0], want, 0, 0);
  }
  // Rank 2: the last axis is the batch axis, so elements move one by one.
  Tensor x2 = random_tensor(DType::Int8, {4, 3}, 4, -100, 100);
  auto out = OpTest("ReverseSequence").input("x", x2).input("l", make_tensor<int64_t>({3}, {4, 2, 0})).output("y").run();
  std::vector<double> v2 = to_doubles(x2), want2 = v2;
  for (int64_t t = 0; t < 4; ++t) want2[static_cast<size_t>(t * 3)] = v2[static_cast<size_t>((3 - t) * 3)];
  for (int64_t t = 0; t < 2; ++t) want2[static_cast<size_t>(t * 3 + 1)] = v2[static_cast<size_t>((1 - t) * 3 + 1)];
  expect_close(out[0], want2, 0, 0);
}

TEST(ReverseSequence, RejectsBadLengths) {
  Tensor x = random_tensor(DType::Float32, {4, 3}, 5);
  EXPECT_THROW(OpTest("ReverseSequence").input("x", x).input("l", make_tensor<int64_t>({3}, {5, 1, 1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReverseSequence").input("x", x).input("l", make_tensor<int64_t>({2}, {1, 1})).output("y").run(), Error);
  EXPECT_THROW(OpTest("ReverseSequence").input("x", x).input("l", make_tensor<int64_t>({3}, {1, 1, 1})).attr("time_axis", int64_t{1})
                   .output("y").run(), Error);
}

}  // namespace lre::test
