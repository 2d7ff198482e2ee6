// GPU test helpers: a fixture that fails (never skips) without a CUDA device, copies between host
// tensors and pool buffers, output poisoning, CPU references through the engine's CPU ops, and
// comparison by dtype tolerance that checks every element.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "device/cuda/cuda_check.h"
#include "device/cuda/device_pool.h"
#include "device/cuda/stream.h"
#include "op_test_util.h"

namespace lre::test {

// The float dtypes every kernel takes.
inline constexpr DType kFloatTypes[] = {DType::Float32, DType::Float16, DType::BFloat16};

// f() must throw lre::Error with `code`; `what` names the case in failures.
inline void expect_error(ErrorCode code, const std::function<void()>& f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << what << ": " << e.what();
  }
}

// Every GPU test derives from this: with no usable device each test fails with the reason, so a
// run on the wrong machine can never pass by skipping.
class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    ASSERT_EQ(status, cudaSuccess) << "lre_gpu_tests needs a CUDA device: cudaGetDeviceCount: "
                                   << cudaGetErrorName(status) << ": " << cudaGetErrorString(status);
    ASSERT_GT(count, 0) << "lre_gpu_tests needs a CUDA device and found none";
    stream_.emplace();
  }
  cudaStream_t stream() const { return stream_->get(); }
  cuda::DevicePool& pool() const { return cuda::DevicePool::current(); }
  void sync() const { stream_->synchronize(); }

 private:
  std::optional<cuda::CudaStream> stream_;
};

template <typename P> class GpuParamTest : public GpuTest, public ::testing::WithParamInterface<P> {};

// Uniform values in [lo, hi) of a float dtype, none zero or within `min_abs` of it (those become 0.5),
// so division, logarithms and relative tolerances stay meaningful.
inline Tensor random_float(DType dtype, Shape shape, unsigned seed, double lo = -3.0, double hi = 3.0,
                           double min_abs = 0.05) {
  Tensor t(dtype, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  dispatch_float(dtype, "random_float", [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = dist(rng);
      if (std::fabs(v) < min_abs) v = 0.5;
      p[i] = static_cast<T>(static_cast<compute_t<T>>(v));
    }
  });
  return t;
}

// Device copy of `t` starting `offset_elems` elements into its buffer (offset 1 breaks the 16-byte
// alignment, to exercise the scalar kernels). Pageable copy: test code only.
struct DeviceTensor {
  cuda::DeviceBuffer buffer;
  void* data = nullptr;
};

inline DeviceTensor upload(const Tensor& t, cudaStream_t stream, int64_t offset_elems = 0) {
  const size_t offset = static_cast<size_t>(offset_elems) * dtype_size(t.dtype());
  DeviceTensor d{cuda::DeviceBuffer(cuda::DevicePool::current(), offset + t.nbytes() + 1, stream), nullptr};
  d.data = static_cast<char*>(d.buffer.data()) + offset;
  if (t.nbytes()) LRE_CUDA_CHECK(cudaMemcpyAsync(d.data, t.raw(), t.nbytes(), cudaMemcpyHostToDevice, stream));
  return d;
}

// An output buffer filled with 0xFF bytes: NaN in every float dtype, so an element a kernel
// forgets to write fails the comparison.
inline DeviceTensor poisoned(DType dtype, int64_t numel, cudaStream_t stream, int64_t offset_elems = 0) {
  const size_t offset = static_cast<size_t>(offset_elems) * dtype_size(dtype);
  const size_t bytes = offset + static_cast<size_t>(numel) * dtype_size(dtype) + 1;
  DeviceTensor d{cuda::DeviceBuffer(cuda::DevicePool::current(), bytes, stream), nullptr};
  d.data = static_cast<char*>(d.buffer.data()) + offset;
  LRE_CUDA_CHECK(cudaMemsetAsync(d.buffer.data(), 0xFF, bytes, stream));
  return d;
}

// Waits for `stream` and returns the device data as a host tensor.
inline Tensor download(const void* data, DType dtype, const Shape& shape, cudaStream_t stream) {
  Tensor t(dtype, shape);
  if (t.nbytes()) LRE_CUDA_CHECK(cudaMemcpyAsync(t.raw(), data, t.nbytes(), cudaMemcpyDeviceToHost, stream));
  LRE_CUDA_CHECK(cudaStreamSynchronize(stream));  // LRE_ALLOW_SYNC: tests read results on the host
  return t;
}

// The CPU backend's result of a one-node model (the reference every GPU kernel is tested against).
inline Tensor cpu_unary(const std::string& op, const Tensor& x) {
  return OpTest(op).input("x", x).output("y").run()[0];
}
inline Tensor cpu_binary(const std::string& op, const Tensor& a, const Tensor& b) {
  return OpTest(op).input("a", a).input("b", b).output("y").run()[0];
}

// DESIGN.md's tolerances: relative 1e-5 (fp32), 1e-2 (fp16), 4e-2 (bf16); exact for the rest.
inline double relative_tolerance(DType t) {
  switch (t) {
    case DType::Float32: case DType::Float64: return 1e-5;
    case DType::Float16: return 1e-2;
    case DType::BFloat16: return 4e-2;
    default: return 0.0;
  }
}

// Compares every element (NaN matches only NaN) and reports the first few mismatches.
inline void expect_all_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = to_doubles(got), w = to_doubles(want);
  const double rtol = relative_tolerance(want.dtype());
  const double atol = rtol > 0 ? 1e-6 : 0.0;
  int64_t bad = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(w[i]) && std::isnan(g[i])) continue;
    if (std::isinf(w[i]) && g[i] == w[i]) continue;
    if (std::fabs(g[i] - w[i]) <= atol + rtol * std::fabs(w[i])) continue;
    if (bad++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << w.size() << " elements differ";
}

inline std::string dtype_label(DType t) { return dtype_name(t); }

}  // namespace lre::test
