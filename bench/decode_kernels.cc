// The decode step's kernels one at a time, chained as the step chains them: 32 launches of one
// kernel (each on its own weights or caches, 100 MB and more in all, so nothing is served from
// L2 as it would not be in a real step) captured in a CUDA graph and replayed. Time per launch is
// what that kernel adds to a step; the floor beside it is its bytes over the copy bandwidth
// measured in the same run.
//
//   lre_bench_decode_kernels [ROWS]   (default 1; large-v3 shapes: d 1280, 20 heads, ffn 5120)
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/decoder_attention.cuh"
#include "kernels/cuda/gemv.cuh"

namespace {

using namespace lre;

constexpr int kChain = 32;
constexpr int kReplays = 20;

void* device_bytes(size_t bytes) {
  void* p = nullptr;
  LRE_CUDA_CHECK(cudaMalloc(&p, bytes));
  // Small values that keep every product finite; their size does not change the timing.
  LRE_CUDA_CHECK(cudaMemset(p, 0x11, bytes));
  return p;
}

// Microseconds per launch of `enqueue(i)` for i in [0, kChain), replayed as one graph.
double time_chain(cudaStream_t s, const std::function<void(int)>& enqueue) {
  for (int i = 0; i < kChain; ++i) enqueue(i);  // loads the kernels outside the capture
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  LRE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < kChain; ++i) enqueue(i);
  LRE_CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  LRE_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  cudaEvent_t start, stop;
  LRE_CUDA_CHECK(cudaEventCreate(&start));
  LRE_CUDA_CHECK(cudaEventCreate(&stop));
  LRE_CUDA_CHECK(cudaGraphLaunch(exec, s));
  LRE_CUDA_CHECK(cudaEventRecord(start, s));
  for (int r = 0; r < kReplays; ++r) LRE_CUDA_CHECK(cudaGraphLaunch(exec, s));
  LRE_CUDA_CHECK(cudaEventRecord(stop, s));
  LRE_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.f;
  LRE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  (void)cudaEventDestroy(start);
  (void)cudaEventDestroy(stop);
  (void)cudaGraphExecDestroy(exec);
  (void)cudaGraphDestroy(graph);
  return 1000.0 * ms / (kReplays * kChain);
}

// Device-to-device copy bandwidth in GB/s (read + write bytes over time).
double copy_bandwidth(cudaStream_t s) {
  const size_t bytes = size_t{1} << 30;
  void* a = device_bytes(bytes);
  void* b = device_bytes(bytes);
  cudaEvent_t start, stop;
  LRE_CUDA_CHECK(cudaEventCreate(&start));
  LRE_CUDA_CHECK(cudaEventCreate(&stop));
  LRE_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s));
  LRE_CUDA_CHECK(cudaEventRecord(start, s));
  for (int i = 0; i < 5; ++i) LRE_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s));
  LRE_CUDA_CHECK(cudaEventRecord(stop, s));
  LRE_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.f;
  LRE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  LRE_CUDA_CHECK(cudaFree(a));
  LRE_CUDA_CHECK(cudaFree(b));
  return 2.0 * 5 * static_cast<double>(bytes) / (ms * 1e-3) / 1e9;
}

}  // namespace

int main(int argc, char** argv) try {
  const int64_t rows = argc > 1 ? std::atoi(argv[1]) : 1;
  const int64_t d = 1280, ffn = 5120, heads = 20, hd = 64, frames = 1500, vocab = 51866;
  const DType t = DType::Float16;
  const size_t e = dtype_size(t);
  cudaStream_t s;
  LRE_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const double gbps = copy_bandwidth(s);
  std::printf("rows %lld, fp16, copy bandwidth %.0f GB/s, %d launches per graph\n", static_cast<long long>(rows),
              gbps, kChain);
  std::printf("%-34s %10s %10s %8s\n", "kernel", "us/launch", "floor us", "of floor");

  auto* residual = static_cast<float*>(device_bytes(rows * ffn * sizeof(float)));
  void* x = device_bytes(rows * ffn * e);
  void* y = device_bytes(rows * vocab * sizeof(float));
  void* ln = device_bytes(ffn * e);
  const auto report = [&](const char* name, double us, double bytes) {
    const double floor_us = bytes / (gbps * 1e3);
    std::printf("%-34s %10.2f %10.2f %7.0f%%\n", name, us, floor_us, 100.0 * floor_us / us);
  };
  const auto gemv = [&](const char* name, int64_t out, int64_t in, bool norm, bool accumulate) {
    std::vector<void*> weights;
    for (int i = 0; i < kChain; ++i) weights.push_back(device_bytes(static_cast<size_t>(out * in) * e));
    const double us = time_chain(s, [&](int i) {
      cuda::GemvFusion f;
      if (norm) {
        f.residual = residual;
        f.gamma = ln;
        f.beta_ln = ln;
      }
      f.bias = ln;
      cuda::launch_gemv_rows(t, accumulate ? DType::Float32 : t, norm ? nullptr : x, weights[i],
                             accumulate ? static_cast<void*>(residual) : y, rows, in, out, accumulate ? 1.f : 0.f, s,
                             f);
    });
    report(name, us, static_cast<double>(out * in) * e);
    for (void* w : weights) LRE_CUDA_CHECK(cudaFree(w));
  };
  gemv("norm + qkv (3840 x 1280)", 3 * d, d, true, false);
  gemv("attn out into residual (1280^2)", d, d, false, true);
  gemv("norm + cross q (1280^2)", d, d, true, false);
  gemv("norm + fc1 (5120 x 1280)", ffn, d, true, false);
  gemv("fc2 into residual (1280 x 5120)", d, ffn, false, true);

  const auto attention = [&](const char* name, int length, int capacity) {
    std::vector<void*> caches;
    for (int i = 0; i < kChain; ++i) caches.push_back(device_bytes(static_cast<size_t>(2 * capacity * d) * e));
    std::vector<cuda::DecoderAttentionSource> host(static_cast<size_t>(kChain * rows));
    for (int i = 0; i < kChain; ++i)
      for (int64_t r = 0; r < rows; ++r) host[static_cast<size_t>(i * rows + r)] = {caches[i], capacity, length};
    auto* sources = static_cast<cuda::DecoderAttentionSource*>(device_bytes(host.size() * sizeof(host[0])));
    LRE_CUDA_CHECK(cudaMemcpy(sources, host.data(), host.size() * sizeof(host[0]), cudaMemcpyHostToDevice));
    const size_t ws = cuda::decoder_attention_workspace_floats(rows, heads, hd, capacity);
    auto* workspace = static_cast<float*>(device_bytes(ws * sizeof(float)));
    auto* arrivals = static_cast<unsigned*>(device_bytes(rows * heads * sizeof(unsigned)));
    LRE_CUDA_CHECK(cudaMemset(arrivals, 0, rows * heads * sizeof(unsigned)));
    const double us = time_chain(s, [&](int i) {
      cuda::launch_decoder_attention(t, x, d, nullptr, sources + i * rows, 0, y, d, rows, heads, hd, capacity,
                                     workspace, arrivals, s);
    });
    report(name, us, static_cast<double>(rows * 2 * length * d) * e);
    for (void* c : caches) LRE_CUDA_CHECK(cudaFree(c));
    LRE_CUDA_CHECK(cudaFree(sources));
    LRE_CUDA_CHECK(cudaFree(workspace));
    LRE_CUDA_CHECK(cudaFree(arrivals));
  };
  attention("cross attention (1500 frames)", frames, frames);
  attention("self attention (100 of 448)", 100, 448);
  attention("self attention (20 of 448)", 20, 448);

  {
    void* w = device_bytes(static_cast<size_t>(vocab * d) * e);
    const double us = time_chain(s, [&](int) {
      cuda::GemvFusion f;
      f.residual = residual;
      f.gamma = ln;
      f.beta_ln = ln;
      cuda::launch_gemv_rows(t, DType::Float32, nullptr, w, y, rows, d, vocab, 0.f, s, f);
    });
    report("norm + logits (51866 x 1280)", us, static_cast<double>(vocab * d) * e);
    LRE_CUDA_CHECK(cudaFree(w));
  }
  LRE_CUDA_CHECK(cudaStreamSynchronize(s));
  return 0;
} catch (const std::exception& ex) {
  std::fprintf(stderr, "lre_bench_decode_kernels: %s\n", ex.what());
  return 1;
}
