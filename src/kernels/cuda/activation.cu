// Parametric activation kernels for float32, float16 and bfloat16, computing in float32 with the
// formulas of the CPU ops (src/ops/activation.cc), so both backends round alike. One template
// kernel per op, 16-byte vector loads when x and y are aligned.
#include <cmath>
#include <limits>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/device_types.cuh"
#include "lre/error.h"

namespace lre::cuda {

const char* activation_op_name(ActivationOp op) {
  switch (op) {
#define LRE_CUDA_NAME_CASE(name) case ActivationOp::name: return #name;
    LRE_CUDA_ACTIVATION_OPS(LRE_CUDA_NAME_CASE)
#undef LRE_CUDA_NAME_CASE
  }
  return "unknown activation";
}

ActivationParams activation_defaults(ActivationOp op) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (op) {
    case ActivationOp::LeakyRelu: return {0.01f, 0.f, 0.f};
    case ActivationOp::Elu: return {1.f, 0.f, 0.f};
    case ActivationOp::Selu: return {1.67326319217681884765625f, 0.f, 1.05070102214813232421875f};
    case ActivationOp::Celu: return {1.f, 0.f, 0.f};
    case ActivationOp::HardSigmoid: return {0.2f, 0.5f, 0.f};
    case ActivationOp::ThresholdedRelu: return {1.f, 0.f, 0.f};
    case ActivationOp::Clip: return {-kInf, kInf, 0.f};
    case ActivationOp::Gelu: return {};
    case ActivationOp::GeluTanh: return {};
    case ActivationOp::Shrink: return {0.5f, 0.f, 0.f};
  }
  return {};
}

namespace {

template <ActivationOp kOp>
__device__ __forceinline__ float apply_activation(float x, float a, float b, float g) {
  if constexpr (kOp == ActivationOp::LeakyRelu) {
    return x < 0.f ? a * x : x;
  } else if constexpr (kOp == ActivationOp::Elu) {
    return x < 0.f ? a * expm1f(x) : x;
  } else if constexpr (kOp == ActivationOp::Selu) {
    return x <= 0.f ? g * a * expm1f(x) : g * x;
  } else if constexpr (kOp == ActivationOp::Celu) {
    const float neg = a * expm1f(x / a);
    return (x > 0.f ? x : 0.f) + (neg < 0.f ? neg : 0.f);
  } else if constexpr (kOp == ActivationOp::HardSigmoid) {
    const float v = a * x + b;
    const float upper = v < 1.f ? v : 1.f;  // the CPU's std::min / std::max order: NaN gives 1
    return 0.f < upper ? upper : 0.f;
  } else if constexpr (kOp == ActivationOp::ThresholdedRelu) {
    return x > a ? x : 0.f;
  } else if constexpr (kOp == ActivationOp::Clip) {
    if (x != x) return x;
    const float lo_clipped = x < a ? a : x;
    return b < lo_clipped ? b : lo_clipped;  // min > max gives max, as the spec says
  } else if constexpr (kOp == ActivationOp::Gelu) {
    // 1 + erf(u) written as erfc(-u): for negative x the sum would cancel to a few correct bits.
    return 0.5f * x * erfcf(-x * 0.70710678118654752f);
  } else if constexpr (kOp == ActivationOp::GeluTanh) {
    // (1 + tanh(z)) / 2 written as 1 / (1 + e^(-2z)), for the same reason.
    constexpr float kSqrt2OverPi = 0.79788456080286536f;
    const float z = kSqrt2OverPi * (x + 0.044715f * x * x * x);
    return x / (1.f + expf(-2.f * z));
  } else {
    static_assert(kOp == ActivationOp::Shrink);
    return x < -a ? x + b : (x > a ? x - b : 0.f);
  }
}

// kVec > 1 needs x and y aligned to a Pack; the tail of fewer than kVec elements is done singly.
template <ActivationOp kOp, typename T, int kVec>
__global__ void __launch_bounds__(kBlockThreads) activation_kernel(const T* x, T* y, int64_t n, float a, float b,
                                                                   float g) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / kVec;
  const auto* xp = reinterpret_cast<const Pack<T, kVec>*>(x);
  auto* yp = reinterpret_cast<Pack<T, kVec>*>(y);
  for (int64_t i = first; i < packs; i += stride) {
    Pack<T, kVec> p = xp[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k) p.v[k] = from_float<T>(apply_activation<kOp>(to_float(p.v[k]), a, b, g));
    yp[i] = p;
  }
  for (int64_t i = packs * kVec + first; i < n; i += stride)
    y[i] = from_float<T>(apply_activation<kOp>(to_float(x[i]), a, b, g));
}

template <ActivationOp kOp, typename T>
void launch_typed(const ActivationParams& p, const void* x, void* y, int64_t n, cudaStream_t stream) {
  const T* xt = static_cast<const T*>(x);
  T* yt = static_cast<T*>(y);
  constexpr int kVec = kVecWidth<T>;
  if (is_aligned(x, 16) && is_aligned(y, 16))
    activation_kernel<kOp, T, kVec>
        <<<grid_for((n + kVec - 1) / kVec), kBlockThreads, 0, stream>>>(xt, yt, n, p.alpha, p.beta, p.gamma);
  else
    activation_kernel<kOp, T, 1><<<grid_for(n), kBlockThreads, 0, stream>>>(xt, yt, n, p.alpha, p.beta, p.gamma);
  LRE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_activation(ActivationOp op, const ActivationParams& p, DType dtype, const void* x, void* y, int64_t n,
                       cudaStream_t stream) {
  if (op == ActivationOp::Celu && p.alpha == 0.f)
    throw Error(ErrorCode::InvalidArgument, "launch_activation(Celu): alpha must not be 0");
  if (n <= 0) return;
  dispatch_device_float(dtype, activation_op_name(op), [&]<typename T>() {
    switch (op) {
#define LRE_CUDA_ACTIVATION_CASE(name) \
  case ActivationOp::name: launch_typed<ActivationOp::name, T>(p, x, y, n, stream); return;
      LRE_CUDA_ACTIVATION_OPS(LRE_CUDA_ACTIVATION_CASE)
#undef LRE_CUDA_ACTIVATION_CASE
    }
    throw Error(ErrorCode::InvalidArgument, "launch_activation: unknown op");
  });
}

}  // namespace lre::cuda
