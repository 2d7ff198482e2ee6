// Dropout: inference copies the input with an all-true mask (bool from opset 10, the data type
// before), training with ratio 0 is a copy, training with a ratio drops and rescales consistently
// with its mask, and an invalid ratio is rejected.
#include "op_test_util.h"

namespace lre::test {

TEST(Dropout, InferenceIsACopy) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7}, 1);
  auto out = OpTest("Dropout", 13).input("x", x).input("r", make_tensor<float>({}, {0.5f})).output("y").output("mask").run();
  expect_close(out[0], to_doubles(x), 0, 0);
  EXPECT_EQ(out[1].dtype(), DType::Bool);
  expect_close(out[1], std::vector<double>(105, 1.0), 0, 0);
  out = OpTest("Dropout", 7).input("x", x).attr("ratio", 0.3f).output("y").output("mask").run();
  expect_close(out[0], to_doubles(x), 0, 0);
  EXPECT_EQ(out[1].dtype(), DType::Float32);
  expect_close(out[1], std::vector<double>(105, 1.0), 0, 0);
}

TEST(Dropout, TrainingDropsAndRescales) {
  Tensor x = random_tensor(DType::Float32, {9, 37}, 2, 0.5, 1.5);
  Tensor yes = make_tensor<bool>({}, {true});
  auto out = OpTest("Dropout", 13).input("x", x).input("r", make_tensor<float>({}, {0.0f})).input("t", yes).output("y").output("m").run();
  expect_close(out[0], to_doubles(x), 0, 0);
  expect_close(out[1], std::vector<double>(333, 1.0), 0, 0);
  out = OpTest("Dropout", 13).input("x", x).input("r", make_tensor<float>({}, {0.75f})).input("t", yes).attr("seed", 7)
            .output("y").output("m").run();
  std::vector<double> xd = to_doubles(x), y = to_doubles(out[0]), m = to_doubles(out[1]);
  int kept = 0;
  for (size_t i = 0; i < xd.size(); ++i) {
    EXPECT_NEAR(y[i], m[i] ? xd[i] * 4 : 0.0, 1e-5) << i;
    kept += m[i] != 0;
  }
  EXPECT_GT(kept, 333 / 8);  // about a quarter kept
  EXPECT_LT(kept, 333 / 2);
}

TEST(Dropout, RejectsBadRatioInTraining) {
  Tensor x = random_tensor(DType::Float32, {3, 5}, 3);
  EXPECT_THROW(OpTest("Dropout", 13).input("x", x).input("r", make_tensor<float>({}, {1.5f})).input("t", make_tensor<bool>({}, {true}))
                   .output("y").run(), Error);
  EXPECT_THROW(OpTest("Dropout", 13).input("x", random_tensor(DType::Int32, {3}, 4, 0, 5)).output("y").run(), Error);
}

}  // namespace lre::test
