// Device-side building blocks shared by the element-wise kernels (include only from .cu files):
// the storage type of each DType, float conversions for the half types, 16-byte vector packs and
// the launch geometry of grid-stride loops.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "core/dispatch.h"
#include "lre/dtype.h"

namespace lre::cuda {

// Float arithmetic for every float storage type: the half types widen to float.
__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// kVec elements loaded or stored as one access (16 bytes when kVec = kVecWidth<T>).
template <typename T, int kVec>
struct alignas(sizeof(T) * kVec) Pack {
  T v[kVec];
};
template <typename T> constexpr int kVecWidth = static_cast<int>(16 / sizeof(T));

inline bool is_aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// Grid-stride loops: 256 threads a block and at most 2048 blocks (about four waves of resident
// threads on an H100), so huge tensors reuse threads instead of launching millions of blocks.
constexpr int kBlockThreads = 256;
constexpr int64_t kMaxBlocks = 2048;
inline unsigned grid_for(int64_t work_items) {
  return static_cast<unsigned>(std::clamp<int64_t>((work_items + kBlockThreads - 1) / kBlockThreads, 1, kMaxBlocks));
}

// Calls f.template operator()<T>() with T the device storage type of a float dtype.
template <typename F> void dispatch_device_float(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::Float32: f.template operator()<float>(); return;
    case DType::Float16: f.template operator()<__half>(); return;
    case DType::BFloat16: f.template operator()<__nv_bfloat16>(); return;
    default: throw_unsupported_dtype(t, what);
  }
}

}  // namespace lre::cuda
