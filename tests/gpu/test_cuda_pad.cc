// launch_pad against the CPU kernel (cpu::pad) for every mode and one dtype of each element size:
// pads on some or all dimensions, negative pads (cropping), pads wider than the input (reflect
// and wrap go round more than once), size-1 axes, rank 0 and 1, empty inputs and outputs, and a
// large case that loops the grid.
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cpu/pad.h"
#include "kernels/cuda/pad.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

using cuda::PadMode;

constexpr PadMode kModes[] = {PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap};

const char* mode_name(PadMode m) {
  switch (m) {
    case PadMode::Constant: return "constant";
    case PadMode::Reflect: return "reflect";
    case PadMode::Edge: return "edge";
    case PadMode::Wrap: return "wrap";
  }
  return "?";
}

cpu::PadMode cpu_mode(PadMode m) {
  switch (m) {
    case PadMode::Constant: return cpu::PadMode::Constant;
    case PadMode::Reflect: return cpu::PadMode::Reflect;
    case PadMode::Edge: return cpu::PadMode::Edge;
    case PadMode::Wrap: return cpu::PadMode::Wrap;
  }
  return cpu::PadMode::Constant;
}

struct PadCase {
  Shape x;
  std::vector<int64_t> begin, end;
  bool constant_only = false;  // an empty input can only be padded with the constant
  int64_t offset = 0;          // elements every device pointer is shifted by
};

void check_pad(DType dtype, PadMode mode, const PadCase& c, cudaStream_t stream, unsigned seed) {
  const size_t eb = dtype_size(dtype);
  const Tensor x = random_elements(dtype, c.x, seed);
  const Tensor value = random_elements(dtype, {1}, seed + 7777);
  Shape y_shape = c.x;
  for (size_t d = 0; d < y_shape.size(); ++d) y_shape[d] += c.begin[d] + c.end[d];
  const std::string what = case_name(dtype, c.x, std::string(mode_name(mode)) + " begin " + shape_to_string(c.begin) +
                                                     " end " + shape_to_string(c.end) + (c.offset ? " unaligned" : ""));
  Tensor want(dtype, y_shape);
  cpu::pad(x.raw(), x.shape(), want.raw(), y_shape, c.begin, cpu_mode(mode), value.raw(), eb, nullptr);
  DeviceTensor dx = upload(x, stream, c.offset);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_pad(eb, mode, dx.data, x.shape(), c.begin, dy.data, y_shape, value.raw(), stream);
  expect_same_elements(download(dy.data, dtype, y_shape, stream), want, what);
}

const PadCase kCases[] = {
    {{3, 5}, {1, 2}, {2, 1}},
    {{2, 3, 7, 9}, {0, 0, 2, 3}, {0, 0, 1, 4}},      // NCHW spatial pads: N and C merge
    {{2, 3, 7, 9}, {0, 1, 0, 0}, {0, 2, 0, 0}},      // a middle dimension only
    {{6, 8}, {-1, 2}, {1, -3}},                      // cropping and padding at once
    {{6, 8}, {-2, -1}, {-1, -3}},                    // cropping only
    {{4}, {3}, {3}},                                 // reflect's widest pad in ONNX (n - 1)
    {{3}, {7}, {8}},                                 // pads wider than the input
    {{1, 5}, {2, 1}, {1, 2}},                        // a size-1 axis padded
    {{5, 1, 4}, {0, 0, 1}, {0, 0, 0}},               // a size-1 axis that is not
    {{33, 65}, {1, 31}, {2, 33}, false, 1},          // rows (129 elements), unaligned
    {{4, 40}, {2, 3}, {1, -5}},                      // rows, some wholly in the border
    {{3, 5, 40}, {-1, 2, 0}, {1, 1, 0}},             // rows copied whole, from reflected rows
    {{}, {}, {}},                                    // rank 0
    {{1}, {0}, {0}},                                 // nothing to pad: one copy
    {{37}, {0}, {5}},
    {{3, 4}, {0, -2}, {0, -2}},                      // cropped to an empty output
    {{0, 3}, {1, 0}, {1, 0}, true},                  // an empty input padded with the constant
};

class CudaPad : public GpuParamTest<std::tuple<PadMode, DType>> {};

TEST_P(CudaPad, MatchesCpu) {
  const auto [mode, dtype] = GetParam();
  unsigned seed = 1;
  for (const PadCase& c : kCases)
    if (!c.constant_only || mode == PadMode::Constant) check_pad(dtype, mode, c, stream(), seed++);
}

// Long rows whose threads go round several columns, and more short rows than the row kernel's
// grid covers in one pass.
TEST_P(CudaPad, LargeTensors) {
  const auto [mode, dtype] = GetParam();
  check_pad(dtype, mode, {{1000, 1000}, {3, 5}, {2, 7}}, stream(), 101);
  check_pad(dtype, mode, {{30000, 40}, {1, 2}, {2, 3}}, stream(), 102);
}

std::string pad_name(const ::testing::TestParamInfo<std::tuple<PadMode, DType>>& info) {
  return std::string(mode_name(std::get<0>(info.param))) + "_" + dtype_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllModes, CudaPad,
                         ::testing::Combine(::testing::ValuesIn(kModes), ::testing::ValuesIn(kMovementTypes)),
                         pad_name);

class CudaPadErrors : public GpuTest {};

TEST_F(CudaPadErrors, EmptyInputsAreRefusedOutsideConstantMode) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape x{0, 3}, y{2, 3};
  const int64_t begin[] = {1, 0};
  const float value = 1.f;
  for (PadMode mode : {PadMode::Reflect, PadMode::Edge, PadMode::Wrap})
    EXPECT_THROW(cuda::launch_pad(4, mode, d.data, x, begin, d.data, y, &value, stream()), Error) << mode_name(mode);
  EXPECT_THROW(cuda::launch_pad(4, PadMode::Constant, d.data, x, begin, d.data, y, nullptr, stream()), Error);
}

}  // namespace

}  // namespace lre::test
