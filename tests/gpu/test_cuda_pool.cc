// launch_max_pool and launch_average_pool against the CPU MaxPool and AveragePool ops through the
// engine, for every float dtype: 1, 2 and 3 spatial dimensions, strides, asymmetric pads,
// dilations, ceil_mode windows that run past the end padding, count_include_pad both ways, global
// windows, batch 1, empty batches, NaN, a tensor whose outputs loop the grid, and refused geometry.
#include <functional>
#include <limits>
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cuda/pool.cuh"

namespace lre::test {

namespace {

struct PoolCase {
  Shape x;  // (n, c, spatial...)
  std::vector<int64_t> kernel, strides, pads, dilations;  // pads: begins then ends; empty: defaults
  bool ceil_mode = false;
};

const PoolCase kCases[] = {
    {{2, 3, 17}, {3}, {2}, {1, 1}, {}},                                  // 1-D
    {{1, 1, 5, 5}, {2, 2}, {2, 2}, {}, {}, true},                        // ceil_mode: a last window half outside
    {{2, 3, 13, 11}, {3, 3}, {2, 1}, {1, 0, 2, 1}, {}},                  // asymmetric pads
    {{1, 2, 16, 15}, {3, 2}, {1, 2}, {2, 1, 2, 1}, {2, 3}},              // dilations
    {{1, 3, 10, 10}, {3, 3}, {3, 3}, {1, 1, 1, 1}, {}, true},            // ceil_mode past the end padding
    {{2, 2, 9, 8}, {4, 3}, {3, 2}, {0, 2, 1, 0}, {2, 1}, true},          // all of it
    {{1, 2, 7, 6, 5}, {2, 3, 2}, {2, 2, 1}, {0, 1, 1, 1, 1, 0}, {}},     // 3-D
    {{1, 1, 6, 7, 5}, {3, 2, 2}, {1, 2, 2}, {1, 0, 1, 1, 1, 1}, {1, 2, 1}, true},
    {{3, 4, 6, 5}, {1, 1}, {}, {}, {}},                                  // 1x1 windows
    {{2, 4, 7, 7}, {7, 7}, {}, {}, {}},                                  // global window
    {{1, 1, 1, 1}, {1, 1}, {}, {}, {}},                                  // size 1
    {{1, 2, 3, 3}, {3, 3}, {1, 1}, {2, 2, 2, 2}, {}},                    // windows that are mostly padding
    {{0, 3, 5, 5}, {2, 2}, {}, {}, {}},                                  // empty batch
};

std::string describe(const char* op, DType dtype, const PoolCase& c) {
  return std::string(op) + " " + dtype_name(dtype) + " " + shape_to_string(c.x) + " kernel " + shape_to_string(c.kernel) +
         " strides " + shape_to_string(c.strides) + " pads " + shape_to_string(c.pads) + " dilations " +
         shape_to_string(c.dilations) + (c.ceil_mode ? " ceil" : "");
}

Tensor cpu_pool(bool max, const PoolCase& c, const Tensor& x, bool count_include_pad) {
  OpTest t(max ? "MaxPool" : "AveragePool", 17);
  t.input("x", x).attr("kernel_shape", c.kernel).attr("ceil_mode", int64_t{c.ceil_mode});
  if (!c.strides.empty()) t.attr("strides", c.strides);
  if (!c.pads.empty()) t.attr("pads", c.pads);
  if (!c.dilations.empty()) t.attr("dilations", c.dilations);
  if (!max) t.attr("count_include_pad", int64_t{count_include_pad});
  return t.output("y").run()[0];
}

// The geometry the CPU op resolved, read back from its attributes and output shape.
cuda::PoolGeometry geometry_of(const PoolCase& c, const Shape& y_shape) {
  cuda::PoolGeometry g;
  g.rank = static_cast<int>(c.x.size()) - 2;
  for (int d = 0; d < g.rank; ++d) {
    const size_t s = static_cast<size_t>(d);
    g.in[d] = c.x[s + 2];
    g.out[d] = y_shape[s + 2];
    g.kernel[d] = c.kernel[s];
    g.strides[d] = c.strides.empty() ? 1 : c.strides[s];
    g.dilations[d] = c.dilations.empty() ? 1 : c.dilations[s];
    g.pads_begin[d] = c.pads.empty() ? 0 : c.pads[s];
    g.pads_end[d] = c.pads.empty() ? 0 : c.pads[s + static_cast<size_t>(g.rank)];
  }
  return g;
}

// Output shape for cases the CPU op is not run on (empty batches): the ONNX formula.
Shape pool_shape(const PoolCase& c) {
  Shape out{c.x[0], c.x[1]};
  const size_t rank = c.x.size() - 2;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t stride = c.strides.empty() ? 1 : c.strides[d], dil = c.dilations.empty() ? 1 : c.dilations[d];
    const int64_t pads = c.pads.empty() ? 0 : c.pads[d] + c.pads[d + rank];
    const int64_t span = c.x[d + 2] + pads - ((c.kernel[d] - 1) * dil + 1);
    out.push_back((c.ceil_mode ? (span + stride - 1) / stride : span / stride) + 1);
  }
  return out;
}

void check_pool(bool max, DType dtype, const PoolCase& c, const Tensor& x, bool count_include_pad, int64_t offset,
                cudaStream_t stream) {
  const Tensor want = x.numel() ? cpu_pool(max, c, x, count_include_pad) : Tensor(dtype, pool_shape(c));
  const cuda::PoolGeometry g = geometry_of(c, want.shape());
  DeviceTensor dx = upload(x, stream, offset);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, offset);
  const int64_t planes = c.x[0] * c.x[1];
  if (max) cuda::launch_max_pool(dtype, dx.data, dy.data, planes, g, stream);
  else cuda::launch_average_pool(dtype, dx.data, dy.data, planes, g, count_include_pad, stream);
  expect_all_close(download(dy.data, dtype, want.shape(), stream), want,
                   describe(max ? "MaxPool" : "AveragePool", dtype, c) +
                       (!max && count_include_pad ? " count_include_pad" : "") + (offset ? " unaligned" : ""));
}

class CudaPool : public GpuParamTest<DType> {};

TEST_P(CudaPool, MaxPoolMatchesCpu) {
  unsigned seed = 1;
  for (const PoolCase& c : kCases)
    check_pool(true, GetParam(), c, random_float(GetParam(), c.x, seed++), false, 0, stream());
}

TEST_P(CudaPool, AveragePoolMatchesCpu) {
  unsigned seed = 100;
  for (const PoolCase& c : kCases)
    for (bool include_pad : {false, true})
      check_pool(false, GetParam(), c, random_float(GetParam(), c.x, seed++), include_pad, 0, stream());
}

TEST_P(CudaPool, Unaligned) {
  const PoolCase& c = kCases[2];
  check_pool(true, GetParam(), c, random_float(GetParam(), c.x, 201), false, 1, stream());
  check_pool(false, GetParam(), c, random_float(GetParam(), c.x, 202), true, 1, stream());
}

// A NaN counts only where it is a window's first tap inside the input, as on the CPU; averages
// take it in wherever it is.
TEST_P(CudaPool, NanMatchesCpu) {
  const DType dtype = GetParam();
  const PoolCase& c = kCases[2];
  Tensor x = random_float(dtype, c.x, 211);
  dispatch_float(dtype, "test", [&]<typename T>() {
    for (int64_t at : {int64_t{0}, int64_t{5}, int64_t{40}, x.numel() - 1})
      x.data<T>()[at] = static_cast<T>(static_cast<compute_t<T>>(std::nan("")));
  });
  check_pool(true, dtype, c, x, false, 0, stream());
  check_pool(false, dtype, c, x, false, 0, stream());
}

// A ResNet stem pool (3x3, stride 2, pad 1 over 112x112): 1.6 million outputs loop the grid.
TEST_P(CudaPool, LargeTensor) {
  const PoolCase c{{8, 64, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}};
  const Tensor x = random_float(GetParam(), c.x, 221);
  check_pool(true, GetParam(), c, x, false, 0, stream());
  check_pool(false, GetParam(), c, x, false, 0, stream());
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaPool, ::testing::ValuesIn(kFloatTypes),
                         [](const ::testing::TestParamInfo<DType>& info) { return std::string(dtype_name(info.param)); });

class CudaPoolErrors : public GpuTest {};

void expect_invalid(const cuda::PoolGeometry& g, const std::string& what, cudaStream_t stream) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream);
  for (bool max : {true, false}) {
    try {
      if (max) cuda::launch_max_pool(DType::Float32, d.data, d.data, 1, g, stream);
      else cuda::launch_average_pool(DType::Float32, d.data, d.data, 1, g, false, stream);
      ADD_FAILURE() << what << ": expected lre::Error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << what << ": " << e.what();
    }
  }
}

cuda::PoolGeometry valid_2d() {
  cuda::PoolGeometry g;
  g.rank = 2;
  for (int d = 0; d < 2; ++d) {
    g.in[d] = 4;
    g.out[d] = 2;
    g.kernel[d] = 2;
    g.strides[d] = 2;
    g.dilations[d] = 1;
  }
  return g;
}

TEST_F(CudaPoolErrors, BadGeometryIsRefused) {
  const std::pair<std::string, std::function<void(cuda::PoolGeometry&)>> edits[] = {
      {"rank 0", [](cuda::PoolGeometry& g) { g.rank = 0; }},
      {"rank 4", [](cuda::PoolGeometry& g) { g.rank = 4; }},
      {"kernel 0", [](cuda::PoolGeometry& g) { g.kernel[1] = 0; }},
      {"stride 0", [](cuda::PoolGeometry& g) { g.strides[0] = 0; }},
      {"dilation 0", [](cuda::PoolGeometry& g) { g.dilations[1] = 0; }},
      {"negative pad", [](cuda::PoolGeometry& g) { g.pads_end[0] = -1; }},
      {"negative size", [](cuda::PoolGeometry& g) { g.in[0] = -4; }},
  };
  for (const auto& [what, edit] : edits) {
    cuda::PoolGeometry g = valid_2d();
    edit(g);
    expect_invalid(g, what, stream());
  }
}

TEST_F(CudaPoolErrors, NonFloatDtypesAreUnsupported) {
  DeviceTensor d = poisoned(DType::Int32, 64, stream());
  try {
    cuda::launch_max_pool(DType::Int32, d.data, d.data, 1, valid_2d(), stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
  }
}

}  // namespace

}  // namespace lre::test
