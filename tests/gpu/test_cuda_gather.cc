// launch_gather against the CPU kernel (cpu::gather) for one dtype of each element size and both
// index types: negative indices, repeated indices, slices of one element and widened slices,
// an embedding-sized table, empty results, a large case that loops the grid, and out-of-range
// indices, which give zeros.
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cpu/gather.h"
#include "kernels/cuda/gather.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

struct GatherCase {
  int64_t outer, axis, inner;
  std::vector<int64_t> indices;
  int64_t offset = 0;  // elements the data and output pointers are shifted by
};

Tensor index_tensor(DType index_dtype, const std::vector<int64_t>& values) {
  Tensor t(index_dtype, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) {
    if (index_dtype == DType::Int64) t.data<int64_t>()[i] = values[i];
    else t.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
  }
  return t;
}

// n indices spread over [-axis, axis), from a fixed seed.
std::vector<int64_t> random_indices(int64_t n, int64_t axis, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(-axis, axis - 1);
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t& i : v) i = dist(rng);
  return v;
}

void check_gather(DType dtype, DType index_dtype, const GatherCase& c, cudaStream_t stream, unsigned seed) {
  const size_t eb = dtype_size(dtype);
  const int64_t count = static_cast<int64_t>(c.indices.size());
  const Tensor data = random_elements(dtype, {c.outer, c.axis, c.inner}, seed);
  const Tensor indices = index_tensor(index_dtype, c.indices);
  const Shape y_shape{c.outer, count, c.inner};
  const std::string what = case_name(dtype, data.shape(), std::to_string(count) + " " + dtype_name(index_dtype) +
                                                              " indices" + (c.offset ? " unaligned" : ""));
  Tensor want(dtype, y_shape);
  cpu::gather(data.raw(), want.raw(), eb, c.outer, c.axis, c.inner, {indices.raw(), index_dtype == DType::Int64}, count,
              nullptr);
  DeviceTensor dd = upload(data, stream, c.offset);
  DeviceTensor di = upload(indices, stream);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_gather(eb, dd.data, c.outer, c.axis, c.inner, di.data, index_dtype, count, dy.data, stream);
  expect_same_elements(download(dy.data, dtype, y_shape, stream), want, what);
}

std::vector<GatherCase> cases() {
  return {
      {3, 7, 5, {0, 6, -1, -7, 3, 3}},            // negative and repeated indices
      {4, 10, 1, {9, 0, -10, 5}},                 // one element a slice
      {2, 5, 64, {4, -2, 0}},                     // slices that widen to 16-byte words
      {2, 5, 64, {4, -2, 0}, 1},                  // and the same unaligned
      {1, 51865, 8, random_indices(37, 51865, 3)},  // token embeddings
      {1, 1, 3, {0, -1}},                         // an axis of one
      {5, 3, 2, {}},                              // no indices: empty output
      {0, 3, 2, {1, 2}},                          // empty data
  };
}

class CudaGather : public GpuParamTest<std::tuple<DType, DType>> {};

TEST_P(CudaGather, MatchesCpu) {
  const auto [dtype, index_dtype] = GetParam();
  unsigned seed = 1;
  for (const GatherCase& c : cases()) check_gather(dtype, index_dtype, c, stream(), seed++);
}

// More elements than 2048 blocks x 256 threads cover in one pass, with slices that do not widen.
TEST_P(CudaGather, LargeTensor) {
  const auto [dtype, index_dtype] = GetParam();
  check_gather(dtype, index_dtype, {3, 1000, 401, random_indices(1000, 1000, 9)}, stream(), 101);
}

// An index outside [-axis, axis) cannot be reported from the device: its slice becomes zeros and
// the other slices are gathered as usual.
TEST_P(CudaGather, OutOfRangeIndicesGiveZeros) {
  const auto [dtype, index_dtype] = GetParam();
  const size_t eb = dtype_size(dtype);
  const int64_t outer = 2, axis = 7, inner = 3;
  const std::vector<int64_t> idx = {7, 2, -8, 100, -1};
  const Tensor data = random_elements(dtype, {outer, axis, inner}, 21);
  const Tensor indices = index_tensor(index_dtype, idx);
  const int64_t count = static_cast<int64_t>(idx.size());
  Tensor want(dtype, {outer, count, inner});
  std::memset(want.raw(), 0, want.nbytes());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j) {
      const int64_t i = idx[static_cast<size_t>(j)], k = i < 0 ? i + axis : i;
      if (k < 0 || k >= axis) continue;
      std::memcpy(static_cast<char*>(want.raw()) + ((o * count + j) * inner) * static_cast<int64_t>(eb),
                  static_cast<const char*>(data.raw()) + ((o * axis + k) * inner) * static_cast<int64_t>(eb),
                  static_cast<size_t>(inner) * eb);
    }
  DeviceTensor dd = upload(data, stream());
  DeviceTensor di = upload(indices, stream());
  DeviceTensor dy = poisoned(dtype, want.numel(), stream());
  cuda::launch_gather(eb, dd.data, outer, axis, inner, di.data, index_dtype, count, dy.data, stream());
  expect_same_elements(download(dy.data, dtype, want.shape(), stream()), want, "out-of-range indices");
}

std::string gather_name(const ::testing::TestParamInfo<std::tuple<DType, DType>>& info) {
  return std::string(dtype_name(std::get<0>(info.param))) + "_" + dtype_name(std::get<1>(info.param)) + "_indices";
}

INSTANTIATE_TEST_SUITE_P(ElementSizes, CudaGather,
                         ::testing::Combine(::testing::ValuesIn(kMovementTypes),
                                            ::testing::Values(DType::Int32, DType::Int64)),
                         gather_name);

class CudaGatherErrors : public GpuTest {};

TEST_F(CudaGatherErrors, NonIntegerIndicesAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  EXPECT_THROW(cuda::launch_gather(4, d.data, 1, 4, 1, d.data, DType::Float32, 2, d.data, stream()), Error);
  EXPECT_THROW(cuda::launch_gather(3, d.data, 1, 4, 1, d.data, DType::Int64, 2, d.data, stream()), Error);
}

}  // namespace

}  // namespace lre::test
