// Dtype conversion kernels between every pair of dtypes, with the CPU's rules (truncate and
// saturate float to integer, NaN to 0, "!= 0" to bool, wrap between integers) so both backends
// give the same bits. Four elements a thread, as one vector access each side when aligned.
#include <cuda/std/limits>
#include <cuda/std/type_traits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/elementwise.cuh"

namespace lre::cuda {

namespace {

// The type a value is converted through: float for the half types, the type itself otherwise.
template <typename T> struct Compute { using type = T; };
template <> struct Compute<__half> { using type = float; };
template <> struct Compute<__nv_bfloat16> { using type = float; };
template <typename T> using compute_of = typename Compute<T>::type;

template <typename T> __device__ __forceinline__ compute_of<T> widen(T v) {
  if constexpr (::cuda::std::is_same_v<T, __half> || ::cuda::std::is_same_v<T, __nv_bfloat16>) return to_float(v);
  else return v;
}
template <typename T> __device__ __forceinline__ T narrow(compute_of<T> v) {
  if constexpr (::cuda::std::is_same_v<T, __half> || ::cuda::std::is_same_v<T, __nv_bfloat16>) return from_float<T>(v);
  else return v;
}

// Mirrors convert() in src/kernels/cpu/cast.cc branch for branch.
template <typename To, typename From>
__device__ __forceinline__ To convert(From v) {
  using CF = compute_of<From>;
  using CT = compute_of<To>;
  const CF x = widen(v);
  if constexpr (::cuda::std::is_same_v<To, bool>) {
    return x != CF(0);
  } else if constexpr (::cuda::std::is_integral_v<CT> && ::cuda::std::is_floating_point_v<CF>) {
    if (isnan(x)) return To(0);
    const double d = trunc(static_cast<double>(x));
    constexpr CT lowest = ::cuda::std::numeric_limits<CT>::lowest(), highest = ::cuda::std::numeric_limits<CT>::max();
    if (d <= static_cast<double>(lowest)) return lowest;
    if (d >= static_cast<double>(highest)) return highest;
    return static_cast<To>(static_cast<CT>(d));
  } else if constexpr (::cuda::std::is_integral_v<CT>) {
    return static_cast<To>(static_cast<CT>(x));
  } else if constexpr (::cuda::std::is_same_v<CT, float> && ::cuda::std::is_same_v<CF, double>) {
    return narrow<To>(static_cast<float>(x));
  } else {
    return narrow<To>(static_cast<CT>(x));
  }
}

template <typename From, typename To, int kVec>
__global__ void __launch_bounds__(kBlockThreads) cast_kernel(const From* x, To* y, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / kVec;
  for (int64_t i = first; i < packs; i += stride) {
    const Pack<From, kVec> px = reinterpret_cast<const Pack<From, kVec>*>(x)[i];
    Pack<To, kVec> py;
#pragma unroll
    for (int k = 0; k < kVec; ++k) py.v[k] = convert<To>(px.v[k]);
    reinterpret_cast<Pack<To, kVec>*>(y)[i] = py;
  }
  for (int64_t i = packs * kVec + first; i < n; i += stride) y[i] = convert<To>(x[i]);
}

template <typename From, typename To>
void launch_cast_typed(const void* x, void* y, int64_t n, cudaStream_t stream) {
  constexpr int kVec = 4;
  const From* xt = static_cast<const From*>(x);
  To* yt = static_cast<To*>(y);
  if (is_aligned(x, sizeof(From) * kVec) && is_aligned(y, sizeof(To) * kVec))
    cast_kernel<From, To, kVec><<<grid_for((n + kVec - 1) / kVec), kBlockThreads, 0, stream>>>(xt, yt, n);
  else
    cast_kernel<From, To, 1><<<grid_for(n), kBlockThreads, 0, stream>>>(xt, yt, n);
  LRE_CUDA_CHECK_LAUNCH();
}

// Calls f.template operator()<T>() with T the device storage type of any dtype.
template <typename F> void dispatch_device_dtype(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float16: return f.template operator()<__half>();
    case DType::BFloat16: return f.template operator()<__nv_bfloat16>();
    case DType::Float64: return f.template operator()<double>();
    case DType::Int8: return f.template operator()<int8_t>();
    case DType::Int16: return f.template operator()<int16_t>();
    case DType::Int32: return f.template operator()<int32_t>();
    case DType::Int64: return f.template operator()<int64_t>();
    case DType::UInt8: return f.template operator()<uint8_t>();
    case DType::UInt16: return f.template operator()<uint16_t>();
    case DType::UInt32: return f.template operator()<uint32_t>();
    case DType::UInt64: return f.template operator()<uint64_t>();
    case DType::Bool: return f.template operator()<bool>();
  }
  throw_unsupported_dtype(t, "launch_cast");
}

}  // namespace

void launch_cast(DType from, DType to, const void* x, void* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  dispatch_device_dtype(from, [&]<typename F>() {
    dispatch_device_dtype(to, [&]<typename T>() { launch_cast_typed<F, T>(x, y, n, stream); });
  });
}

}  // namespace lre::cuda
