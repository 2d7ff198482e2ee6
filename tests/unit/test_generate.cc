// ConstantOfShape, Range, OneHot, EyeLike and Trilu: generated tensors against hand-checked values
// and loop references, written over garbage so that every element is known to be written.
#include "movement_test_util.h"

namespace lre::test {

namespace {

Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

}  // namespace

TEST(ConstantOfShape, DefaultAndGivenValue) {
  Tensor s = ints({3, 5, 7});
  OpTest t("ConstantOfShape");
  t.input("s", s).output("y");
  auto out = run_over_garbage(t, {{"s", s}});
  EXPECT_EQ(out[0].dtype(), DType::Float32);
  expect_close(out[0], std::vector<double>(105, 0.0), 0, 0);

  ModelBuilder b(17, "cos");
  b.input("s", DType::Int64, {3});
  auto* n = b.node("ConstantOfShape", {"s"}, {"y"});
  auto* a = add_attr(n, "value", onnx::AttributeProto::TENSOR);
  fill_tensor_proto(a->mutable_t(), "value", make_tensor<int32_t>({1}, {-7}));
  b.output("y");
  EngineOptions options;
  options.check_model = false;
  ExecutionContext ctx(Engine::load_from_memory(b.bytes(), options, ".", "cos"), {.threads = 3});
  auto got = ctx.run({{"s", s}});
  EXPECT_EQ(got[0].dtype(), DType::Int32);
  EXPECT_EQ(got[0].shape(), (Shape{3, 5, 7}));
  expect_close(got[0], std::vector<double>(105, -7.0), 0, 0);
}

TEST(ConstantOfShape, RejectsNegativeDims) {
  EXPECT_THROW(OpTest("ConstantOfShape").input("s", ints({3, -1})).output("y").run(), Error);
}

TEST(Range, IntegerAndFloat) {
  auto out = OpTest("Range").input("a", make_tensor<int32_t>({}, {10})).input("b", make_tensor<int32_t>({}, {-3}))
                 .input("c", make_tensor<int32_t>({}, {-4})).output("y").run();
  expect_close(out[0], {10, 6, 2, -2}, 0, 0);
  out = OpTest("Range").input("a", make_tensor<float>({}, {0.5f})).input("b", make_tensor<float>({}, {2.0f}))
            .input("c", make_tensor<float>({}, {0.3f})).output("y").run();
  std::vector<double> want;
  for (int i = 0; i < 5; ++i) want.push_back(0.5 + 0.3 * i);
  expect_close(out[0], want, 1e-6, 1e-6);
  out = OpTest("Range").input("a", make_tensor<int64_t>({}, {5})).input("b", make_tensor<int64_t>({}, {1}))
            .input("c", make_tensor<int64_t>({}, {2})).output("y").run();
  EXPECT_EQ(out[0].shape(), (Shape{0}));
}

TEST(Range, RejectsBadArguments) {
  EXPECT_THROW(OpTest("Range").input("a", make_tensor<int64_t>({}, {0})).input("b", make_tensor<int64_t>({}, {5}))
                   .input("c", make_tensor<int64_t>({}, {0})).output("y").run(), Error);
  EXPECT_THROW(OpTest("Range").input("a", make_tensor<int64_t>({}, {0})).input("b", make_tensor<int32_t>({}, {5}))
                   .input("c", make_tensor<int64_t>({}, {1})).output("y").run(), Error);
}

TEST(OneHot, AxesAndNegativeIndices) {
  Tensor idx = make_tensor<int64_t>({2, 3}, {0, -1, 4, 7, -5, 2});
  Tensor values = make_tensor<float>({2}, {-2.0f, 3.0f});
  for (int64_t axis : {-1, 0, 1}) {
    Tensor depth = make_tensor<float>({}, {5.0f});
    OpTest t("OneHot");
    t.input("i", idx).input("d", depth).input("v", values).attr("axis", axis).output("y");
    auto out = run_over_garbage(t, {{"i", idx}, {"d", depth}, {"v", values}});
    const size_t a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
    Shape want_shape{2, 3};
    want_shape.insert(want_shape.begin() + static_cast<int64_t>(a), 5);
    ASSERT_EQ(out[0].shape(), want_shape);
    std::vector<double> want;
    for (int64_t i = 0; i < shape_numel(want_shape); ++i) {
      auto o = unravel(i, want_shape);
      const int64_t d = o[a];
      o.erase(o.begin() + static_cast<int64_t>(a));
      int64_t k = idx.data<int64_t>()[o[0] * 3 + o[1]];
      if (k < 0) k += 5;
      want.push_back(k == d ? 3.0 : -2.0);
    }
    expect_close(out[0], want, 0, 0);
  }
  EXPECT_THROW(OpTest("OneHot").input("i", idx).input("d", make_tensor<int64_t>({}, {0})).input("v", values).output("y").run(), Error);
  EXPECT_THROW(OpTest("OneHot").input("i", idx).input("d", make_tensor<int64_t>({}, {3})).input("v", make_tensor<float>({3}, {0, 1, 2}))
                   .output("y").run(), Error);
  EXPECT_THROW(OpTest("OneHot").input("i", idx).input("d", make_tensor<int64_t>({}, {3})).input("v", values).attr("axis", int64_t{3})
                   .output("y").run(), Error);
}

TEST(EyeLike, DiagonalsAndDtype) {
  Tensor x = random_tensor(DType::Float32, {5, 9}, 1);
  for (int64_t k : {0, 3, -2, 20}) {
    OpTest t("EyeLike");
    t.input("x", x).attr("k", k).attr("dtype", int64_t{7}).output("y");  // 7: int64
    auto out = run_over_garbage(t, {{"x", x}});
    EXPECT_EQ(out[0].dtype(), DType::Int64);
    std::vector<double> want;
    for (int64_t r = 0; r < 5; ++r)
      for (int64_t c = 0; c < 9; ++c) want.push_back(c - r == k ? 1 : 0);
    expect_close(out[0], want, 0, 0);
  }
  EXPECT_THROW(OpTest("EyeLike").input("x", random_tensor(DType::Float32, {5}, 2)).output("y").run(), Error);
}

TEST(Trilu, UpperAndLowerWithK) {
  Tensor x = random_tensor(DType::Float32, {3, 7, 11}, 3);
  std::vector<double> v = to_doubles(x);
  for (int64_t upper : {0, 1})
    for (int64_t k : {0, 2, -3, 100, -100}) {
      Tensor kt = make_tensor<int64_t>({}, {k});
      OpTest t("Trilu", 14);
      t.input("x", x).input("k", kt).attr("upper", upper).output("y");
      auto out = run_over_garbage(t, {{"x", x}, {"k", kt}});
      std::vector<double> want;
      for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t r = i / 11 % 7, c = i % 11;
        const bool keep = upper ? c - r >= k : c - r <= k;
        want.push_back(keep ? v[static_cast<size_t>(i)] : 0);
      }
      expect_close(out[0], want, 0, 0);
    }
  EXPECT_THROW(OpTest("Trilu", 14).input("x", random_tensor(DType::Float32, {5}, 4)).output("y").run(), Error);
}

}  // namespace lre::test
