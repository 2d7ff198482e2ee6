// Identity and Constant through the engine.
#include "op_test_util.h"

namespace lre::test {

TEST(Identity, CopiesEveryDtype) {
  for (DType t : {DType::Float32, DType::Int64, DType::UInt8, DType::Float16}) {
    Tensor x = random_tensor(t, {3, 5}, 1, -9, 9);
    auto out = OpTest("Identity").input("x", x).output("y").run();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dtype(), t);
    EXPECT_EQ(out[0].shape(), x.shape());
    expect_close(out[0], to_doubles(x), 0, 0);
    EXPECT_NE(out[0].raw(), x.raw());
  }
}

}  // namespace lre::test
