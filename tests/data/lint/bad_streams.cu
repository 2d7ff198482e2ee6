// Fixture for scripts/lint-streams (never compiled): each line tagged (at its end) breaks a stream
// rule and must be reported; the other lines are allowed forms that must not be.
#include <cuda_runtime_api.h>

__global__ void scale_kernel(float* x, int n) {}

void bad(float* d, float* h, size_t bytes, cudaStream_t stream, cudaEvent_t ev, int n) {
  cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice);  // LINT-EXPECT
  cudaMalloc(&d, bytes);  // LINT-EXPECT
  cudaFree(d);  // LINT-EXPECT
  cudaMemset(d, 0, bytes);  // LINT-EXPECT
  cudaMemcpyToSymbol(d, h, bytes);  // LINT-EXPECT
  cudaDeviceSynchronize();  // LINT-EXPECT
  cudaStreamSynchronize(stream);  // LINT-EXPECT
  cudaHostAlloc(&h, bytes, 0);  // LINT-EXPECT
  scale_kernel<<<1, 256>>>(d, n);  // LINT-EXPECT
  scale_kernel<<<1, 256, 0>>>(d, n);  // LINT-EXPECT
  scale_kernel<<<1, 256, 0, 0>>>(d, n);  // LINT-EXPECT
  scale_kernel<<<dim3(1, 1), dim3(256, 1),  // LINT-EXPECT
                 0, nullptr>>>(d, n);
  cudaMemcpyAsync(d, h, bytes, cudaMemcpyHostToDevice);  // LINT-EXPECT
  cudaMemcpyAsync(d, h, bytes, cudaMemcpyHostToDevice, 0);  // LINT-EXPECT
  cudaMemsetAsync(d, 0, bytes, cudaStreamLegacy);  // LINT-EXPECT
  cudaFreeAsync(d, cudaStreamPerThread);  // LINT-EXPECT
  cudaEventRecord(ev);  // LINT-EXPECT
  cudaEventRecord(ev, nullptr);  // LINT-EXPECT
  cudaMallocAsync(&d, bytes, (cudaStream_t)0);  // LINT-EXPECT
  cudaStream_t s;
  cudaStreamCreate(&s);  // LINT-EXPECT
}

void launch_scale(float* x, int n, cudaStream_t stream = nullptr);  // LINT-EXPECT

void fine(float* d, float* h, size_t bytes, cudaStream_t stream, cudaEvent_t ev, int n) {
  // Comments may name cudaMemcpy( and cudaDeviceSynchronize( freely.
  const char* text = "cudaMalloc( in a string";
  cudaMemcpyAsync(d, h, bytes, cudaMemcpyHostToDevice, stream);
  cudaMemsetAsync(d, 0, bytes, stream);
  cudaMallocAsync(&d, bytes, stream);
  cudaFreeAsync(d, stream);
  cudaEventRecord(ev, stream);
  cudaStreamWaitEvent(stream, ev, 0);
  scale_kernel<<<(n + 255) / 256, 256, 0, stream>>>(d, n);
  scale_kernel<<<dim3(1, 1), dim3(256, 1),
                 0, stream>>>(d, n);
  if (stream == cudaStreamLegacy || stream == cudaStreamPerThread) return;
  cudaMalloc(&d, bytes);  // LRE_ALLOW_SYNC: weights are uploaded once at load time
  // LRE_ALLOW_SYNC: the synchronous run() returns only when outputs are ready
  cudaStreamSynchronize(stream);
  cudaStream_t created;
  cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking);
  (void)text;
}
