// Element-wise CUDA kernels against the memory-bandwidth floor: times Add (same shape and
// per-channel broadcast), Sigmoid and Cast on large tensors with CUDA events, next to a device-to-
// device copy of the same bytes (the measured bandwidth). Prints one line per case:
//   case dtype elements ms GB/s floor_ms
// bench/elementwise.sh runs PyTorch on the same cases in the same job and writes the table.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

#include "device/cuda/cuda_check.h"
#include "device/cuda/device_pool.h"
#include "device/cuda/stream.h"
#include "kernels/cuda/elementwise.cuh"

namespace {

using namespace lre;

// Median milliseconds of `reps` runs of `fn` on `stream`, after warm-up.
double time_ms(cudaStream_t stream, const std::function<void()>& fn, int reps = 50) {
  for (int i = 0; i < 5; ++i) fn();
  cudaEvent_t a, b;
  LRE_CUDA_CHECK(cudaEventCreate(&a));
  LRE_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  for (int i = 0; i < reps; ++i) {
    LRE_CUDA_CHECK(cudaEventRecord(a, stream));
    fn();
    LRE_CUDA_CHECK(cudaEventRecord(b, stream));
    LRE_CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    LRE_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  LRE_CUDA_CHECK(cudaEventDestroy(a));
  LRE_CUDA_CHECK(cudaEventDestroy(b));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main() {
  cuda::CudaStream stream;
  cuda::DevicePool& pool = cuda::DevicePool::current();
  const int64_t n = int64_t{1} << 26;  // 64 Mi elements: far past the L2 cache
  const int64_t channels = 256, plane = n / channels;
  cuda::DeviceBuffer a(pool, n * 4, stream), b(pool, n * 4, stream), y(pool, n * 4, stream), c(pool, channels * 4, stream);
  LRE_CUDA_CHECK(cudaMemsetAsync(a.data(), 0x3c, n * 4, stream));  // not zeros: 0x3c3c3c3c ~ 0.0115
  LRE_CUDA_CHECK(cudaMemsetAsync(b.data(), 0x3d, n * 4, stream));
  LRE_CUDA_CHECK(cudaMemsetAsync(c.data(), 0x3e, channels * 4, stream));

  // Bandwidth: a copy reads and writes each byte once.
  double copy_ms = time_ms(stream, [&] {
    LRE_CUDA_CHECK(cudaMemcpyAsync(y.data(), a.data(), n * 4, cudaMemcpyDeviceToDevice, stream));
  });
  const double bw = 2.0 * n * 4 / (copy_ms * 1e-3);  // bytes per second
  std::printf("copy float32 %lld %.4f %.1f %.4f\n", static_cast<long long>(n), copy_ms, bw / 1e9, copy_ms);

  auto report = [&](const char* name, const char* dtype, double bytes, const std::function<void()>& fn) {
    double ms = time_ms(stream, fn);
    std::printf("%s %s %lld %.4f %.1f %.4f\n", name, dtype, static_cast<long long>(n), ms, bytes / (ms * 1e-3) / 1e9,
                bytes / bw * 1e3);
  };
  const std::vector<int64_t> flat = {n}, chw = {channels, plane}, per_channel = {channels, 1};
  for (DType t : {DType::Float32, DType::Float16}) {
    const double es = static_cast<double>(dtype_size(t));
    const char* dn = dtype_name(t);
    report("add_same_shape", dn, 3 * n * es, [&] {
      cuda::launch_binary(cuda::BinaryOp::Add, t, a.data(), flat, b.data(), flat, y.data(), flat, stream);
    });
    report("add_per_channel", dn, 2 * n * es, [&] {
      cuda::launch_binary(cuda::BinaryOp::Add, t, a.data(), chw, c.data(), per_channel, y.data(), chw, stream);
    });
    report("sigmoid", dn, 2 * n * es, [&] { cuda::launch_unary(cuda::UnaryOp::Sigmoid, t, a.data(), y.data(), n, stream); });
  }
  report("cast_f32_to_f16", "float32", 6.0 * n, [&] { cuda::launch_cast(DType::Float32, DType::Float16, a.data(), y.data(), n, stream); });
  stream.synchronize();
  return 0;
}
