// launch_concat and launch_split against the CPU kernels (cpu::concat, cpu::split) for one dtype of
// each element size: a few pieces, more pieces than one launch carries (so they go in groups),
// empty pieces, widened and unaligned copies, empty tensors, and pieces long enough that the grid
// loops; Split also skips null outputs.
#include "gpu_test_util.h"
#include "kernels/cpu/concat_split.h"
#include "kernels/cuda/concat.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

struct ConcatCase {
  int64_t outer, inner;
  std::vector<int64_t> axis_sizes;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

// n pieces of 0 .. 4 rows each (every fifth empty), so a launch group mixes sizes.
std::vector<int64_t> many_sizes(int64_t n) {
  std::vector<int64_t> s;
  for (int64_t i = 0; i < n; ++i) s.push_back(i % 5);
  return s;
}

std::vector<ConcatCase> cases() {
  return {
      {3, 5, {2, 7, 1}},
      {1, 1, {37, 1, 64}},
      {7, 1, {1, 1, 1}},                   // concat along the last axis
      {4, 3, many_sizes(150)},             // three launch groups, empty pieces among them
      {2, 16, many_sizes(70)},             // groups of widened pieces
      {3, 8, {4, 4}},                      // whole pieces move as 16-byte words where aligned
      {3, 8, {4, 4}, 1},                   // and element by element where not
      {5, 7, {0, 3, 0}},                   // empty pieces around one
      {0, 4, {2, 3}},                      // empty: no outer blocks
      {3, 0, {2, 3}},                      // empty: no inner elements
      {1, 1, {1}},                         // one element
  };
}

Shape piece_shape(const ConcatCase& c, size_t i) { return {c.outer, c.axis_sizes[i], c.inner}; }

Shape whole_shape(const ConcatCase& c) {
  int64_t total = 0;
  for (int64_t s : c.axis_sizes) total += s;
  return {c.outer, total, c.inner};
}

std::string describe(DType dtype, const ConcatCase& c) {
  return case_name(dtype, whole_shape(c),
                   std::to_string(c.axis_sizes.size()) + " pieces" + (c.offset ? " unaligned" : ""));
}

void check_concat(DType dtype, const ConcatCase& c, cudaStream_t stream, unsigned seed) {
  const size_t eb = dtype_size(dtype);
  std::vector<Tensor> pieces;
  std::vector<const void*> host_ptrs;
  std::vector<DeviceTensor> device_pieces;
  std::vector<const void*> device_ptrs;
  for (size_t i = 0; i < c.axis_sizes.size(); ++i) {
    pieces.push_back(random_elements(dtype, piece_shape(c, i), seed + static_cast<unsigned>(i)));
    host_ptrs.push_back(pieces.back().raw());
    device_pieces.push_back(upload(pieces.back(), stream, c.offset));
    // Pieces with no elements are passed as null, which the launcher must accept.
    device_ptrs.push_back(pieces.back().numel() ? device_pieces.back().data : nullptr);
  }
  Tensor want(dtype, whole_shape(c));
  cpu::concat(host_ptrs, c.axis_sizes, want.raw(), c.outer, c.inner, eb, nullptr);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream, c.offset);
  cuda::launch_concat(eb, device_ptrs, c.axis_sizes, c.outer, c.inner, dy.data, stream);
  expect_same_elements(download(dy.data, dtype, want.shape(), stream), want, "concat " + describe(dtype, c));
}

// Every third output is null (not wanted): the others must still be right.
void check_split(DType dtype, const ConcatCase& c, cudaStream_t stream, unsigned seed) {
  const size_t eb = dtype_size(dtype);
  const Tensor x = random_elements(dtype, whole_shape(c), seed);
  std::vector<Tensor> want;
  std::vector<void*> host_ptrs;
  std::vector<DeviceTensor> device_outputs;
  std::vector<void*> device_ptrs;
  for (size_t i = 0; i < c.axis_sizes.size(); ++i) {
    want.emplace_back(dtype, piece_shape(c, i));
    const bool wanted = i % 3 != 2;
    host_ptrs.push_back(wanted ? want.back().raw() : nullptr);
    device_outputs.push_back(poisoned(dtype, want.back().numel(), stream, c.offset));
    device_ptrs.push_back(wanted ? device_outputs.back().data : nullptr);
  }
  cpu::split(x.raw(), host_ptrs, c.axis_sizes, c.outer, c.inner, eb, nullptr);
  DeviceTensor dx = upload(x, stream, c.offset);
  cuda::launch_split(eb, dx.data, c.outer, c.axis_sizes, c.inner, device_ptrs, stream);
  for (size_t i = 0; i < c.axis_sizes.size(); ++i) {
    const Tensor got = download(device_outputs[i].data, dtype, want[i].shape(), stream);
    const std::string what = "split " + describe(dtype, c) + " output " + std::to_string(i);
    if (host_ptrs[i]) expect_same_elements(got, want[i], what);
    else expect_untouched(got, what + " (null)");
  }
}

class CudaConcat : public GpuParamTest<DType> {};

TEST_P(CudaConcat, MatchesCpu) {
  unsigned seed = 1;
  for (const ConcatCase& c : cases()) {
    check_concat(GetParam(), c, stream(), seed);
    seed += 1000;
  }
}

TEST_P(CudaConcat, SplitMatchesCpu) {
  unsigned seed = 7;
  for (const ConcatCase& c : cases()) check_split(GetParam(), c, stream(), seed++);
}

// A piece of more elements than 2048 blocks x 256 threads cover in one pass.
TEST_P(CudaConcat, LargePieces) {
  const ConcatCase big{1, 1, {700001, 300001}};
  check_concat(GetParam(), big, stream(), 51);
  check_split(GetParam(), big, stream(), 52);
  const ConcatCase rows{600, 1001, {1, 2}};
  check_concat(GetParam(), rows, stream(), 53);
  check_split(GetParam(), rows, stream(), 54);
}

INSTANTIATE_TEST_SUITE_P(ElementSizes, CudaConcat, ::testing::ValuesIn(kMovementTypes), dtype_param_name);

class CudaConcatErrors : public GpuTest {};

TEST_F(CudaConcatErrors, MismatchedArgumentsAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const void* inputs[] = {d.data, d.data};
  const int64_t one_size[] = {2};
  EXPECT_THROW(cuda::launch_concat(4, inputs, one_size, 1, 1, d.data, stream()), Error);
  const int64_t sizes[] = {2, 2};
  EXPECT_THROW(cuda::launch_concat(3, inputs, sizes, 1, 1, d.data, stream()), Error);
  const void* null_inputs[] = {d.data, nullptr};
  EXPECT_THROW(cuda::launch_concat(4, null_inputs, sizes, 1, 1, d.data, stream()), Error);
}

}  // namespace

}  // namespace lre::test
