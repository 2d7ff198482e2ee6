// Unary and broadcasting binary element-wise kernels for float32, float16 and bfloat16, computing
// in float32. Contiguous operands go through 16-byte vector loads when aligned; other broadcasts
// walk coalesced dimensions (merged like src/kernels/cpu/broadcast.h) with strides passed by value.
#include <algorithm>
#include <cmath>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "lre/error.h"

namespace lre::cuda {

const char* unary_op_name(UnaryOp op) {
  switch (op) {
#define LRE_CUDA_NAME_CASE(name) case UnaryOp::name: return #name;
    LRE_CUDA_UNARY_OPS(LRE_CUDA_NAME_CASE)
#undef LRE_CUDA_NAME_CASE
  }
  return "unknown unary op";
}

const char* binary_op_name(BinaryOp op) {
  switch (op) {
#define LRE_CUDA_NAME_CASE(name) case BinaryOp::name: return #name;
    LRE_CUDA_BINARY_OPS(LRE_CUDA_NAME_CASE)
#undef LRE_CUDA_NAME_CASE
  }
  return "unknown binary op";
}

namespace {

// The same formulas as the CPU functors in src/ops/unary.cc, so both round alike.
template <UnaryOp kOp>
__device__ __forceinline__ float apply_unary(float x) {
  if constexpr (kOp == UnaryOp::Abs) return x < 0.f ? -x : x;
  else if constexpr (kOp == UnaryOp::Neg) return -x;
  else if constexpr (kOp == UnaryOp::Sign) return x < 0.f ? -1.f : x > 0.f ? 1.f : 0.f;
  else if constexpr (kOp == UnaryOp::Relu) return x < 0.f ? 0.f : x;
  else if constexpr (kOp == UnaryOp::Exp) return expf(x);
  else if constexpr (kOp == UnaryOp::Log) return logf(x);
  else if constexpr (kOp == UnaryOp::Sqrt) return sqrtf(x);
  else if constexpr (kOp == UnaryOp::Reciprocal) return 1.f / x;
  else if constexpr (kOp == UnaryOp::Floor) return floorf(x);
  else if constexpr (kOp == UnaryOp::Ceil) return ceilf(x);
  else if constexpr (kOp == UnaryOp::Round) return rintf(x);  // half to even, as std::nearbyint
  else if constexpr (kOp == UnaryOp::Sin) return sinf(x);
  else if constexpr (kOp == UnaryOp::Cos) return cosf(x);
  else if constexpr (kOp == UnaryOp::Tan) return tanf(x);
  else if constexpr (kOp == UnaryOp::Asin) return asinf(x);
  else if constexpr (kOp == UnaryOp::Acos) return acosf(x);
  else if constexpr (kOp == UnaryOp::Atan) return atanf(x);
  else if constexpr (kOp == UnaryOp::Sinh) return sinhf(x);
  else if constexpr (kOp == UnaryOp::Cosh) return coshf(x);
  else if constexpr (kOp == UnaryOp::Asinh) return asinhf(x);
  else if constexpr (kOp == UnaryOp::Acosh) return acoshf(x);
  else if constexpr (kOp == UnaryOp::Atanh) return atanhf(x);
  else if constexpr (kOp == UnaryOp::Erf) return erff(x);
  else if constexpr (kOp == UnaryOp::Sigmoid) return x >= 0.f ? 1.f / (1.f + expf(-x)) : expf(x) / (1.f + expf(x));
  else if constexpr (kOp == UnaryOp::Tanh) return tanhf(x);
  else if constexpr (kOp == UnaryOp::Softsign) return x / (1.f + fabsf(x));
  else if constexpr (kOp == UnaryOp::Softplus) return x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x));
  else if constexpr (kOp == UnaryOp::Mish) return x * tanhf(x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x)));
  else {
    static_assert(kOp == UnaryOp::HardSwish);
    const float t = x / 6.f + 0.5f;
    return x * (t < 0.f ? 0.f : t > 1.f ? 1.f : t);
  }
}

template <BinaryOp kOp>
__device__ __forceinline__ float apply_binary(float p, float q) {
  if constexpr (kOp == BinaryOp::Add) return p + q;
  else if constexpr (kOp == BinaryOp::Sub) return p - q;
  else if constexpr (kOp == BinaryOp::Mul) return p * q;
  else if constexpr (kOp == BinaryOp::Div) return p / q;
  else if constexpr (kOp == BinaryOp::Pow) return powf(p, q);
  // fmaxf/fminf drop a NaN operand; ONNX (and the CPU kernels) propagate it.
  else if constexpr (kOp == BinaryOp::Max) return isnan(p) || isnan(q) ? p + q : fmaxf(p, q);
  else {
    static_assert(kOp == BinaryOp::Min);
    return isnan(p) || isnan(q) ? p + q : fminf(p, q);
  }
}

// kVec > 1 needs x and y aligned to a Pack; the tail of fewer than kVec elements is done singly.
template <UnaryOp kOp, typename T, int kVec>
__global__ void __launch_bounds__(kBlockThreads) unary_kernel(const T* x, T* y, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / kVec;
  const auto* xp = reinterpret_cast<const Pack<T, kVec>*>(x);
  auto* yp = reinterpret_cast<Pack<T, kVec>*>(y);
  for (int64_t i = first; i < packs; i += stride) {
    Pack<T, kVec> p = xp[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k) p.v[k] = from_float<T>(apply_unary<kOp>(to_float(p.v[k])));
    yp[i] = p;
  }
  for (int64_t i = packs * kVec + first; i < n; i += stride) y[i] = from_float<T>(apply_unary<kOp>(to_float(x[i])));
}

template <UnaryOp kOp, typename T>
void launch_unary_typed(const void* x, void* y, int64_t n, cudaStream_t stream) {
  const T* xt = static_cast<const T*>(x);
  T* yt = static_cast<T*>(y);
  constexpr int kVec = kVecWidth<T>;
  if (is_aligned(x, 16) && is_aligned(y, 16))
    unary_kernel<kOp, T, kVec><<<grid_for((n + kVec - 1) / kVec), kBlockThreads, 0, stream>>>(xt, yt, n);
  else
    unary_kernel<kOp, T, 1><<<grid_for(n), kBlockThreads, 0, stream>>>(xt, yt, n);
  LRE_CUDA_CHECK_LAUNCH();
}

// Operands that walk y contiguously (kScalar = false) or are one broadcast value (true); the
// loop over n elements is spread over the x dimension of the grid.
template <BinaryOp kOp, typename T, int kVec, bool kAScalar, bool kBScalar>
__device__ __forceinline__ void binary_contiguous(const T* a, const T* b, T* y, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / kVec;
  const float a0 = kAScalar ? to_float(a[0]) : 0.f;
  const float b0 = kBScalar ? to_float(b[0]) : 0.f;
  for (int64_t i = first; i < packs; i += stride) {
    Pack<T, kVec> pa, pb, py;
    if constexpr (!kAScalar) pa = reinterpret_cast<const Pack<T, kVec>*>(a)[i];
    if constexpr (!kBScalar) pb = reinterpret_cast<const Pack<T, kVec>*>(b)[i];
#pragma unroll
    for (int k = 0; k < kVec; ++k)
      py.v[k] = from_float<T>(apply_binary<kOp>(kAScalar ? a0 : to_float(pa.v[k]), kBScalar ? b0 : to_float(pb.v[k])));
    reinterpret_cast<Pack<T, kVec>*>(y)[i] = py;
  }
  for (int64_t i = packs * kVec + first; i < n; i += stride)
    y[i] = from_float<T>(apply_binary<kOp>(kAScalar ? a0 : to_float(a[i]), kBScalar ? b0 : to_float(b[i])));
}

template <BinaryOp kOp, typename T, int kVec, bool kAScalar, bool kBScalar>
__global__ void __launch_bounds__(kBlockThreads) binary_contiguous_kernel(const T* a, const T* b, T* y, int64_t n) {
  binary_contiguous<kOp, T, kVec, kAScalar, kBScalar>(a, b, y, n);
}

// Two coalesced dimensions where, along each row, every operand is contiguous or constant (a
// per-channel bias over (channels, plane)): rows go to the grid's y dimension and each row is the
// contiguous case, so no element pays for index divisions.
template <BinaryOp kOp, typename T, int kVec, bool kAScalar, bool kBScalar>
__global__ void __launch_bounds__(kBlockThreads) binary_rows_kernel(const T* a, const T* b, T* y, int64_t rows,
                                                                    int64_t cols, int64_t a_row, int64_t b_row) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y)
    binary_contiguous<kOp, T, kVec, kAScalar, kBScalar>(a + r * a_row, b + r * b_row, y + r * cols, cols);
}

// Coalesced dimensions, innermost first, with each operand's element stride (0 where it
// broadcasts). Passed by value: it lands in the kernel's parameter space, no copy to the device.
struct BroadcastStrides {
  int rank = 0;
  int64_t dims[kMaxBroadcastDims] = {};
  int64_t a[kMaxBroadcastDims] = {};
  int64_t b[kMaxBroadcastDims] = {};
};

template <BinaryOp kOp, typename T>
__global__ void __launch_bounds__(kBlockThreads) binary_broadcast_kernel(const T* a, const T* b, T* y, int64_t n,
                                                                         BroadcastStrides s) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t rem = i, oa = 0, ob = 0;
#pragma unroll
    for (int d = 0; d < kMaxBroadcastDims; ++d) {
      if (d == s.rank) break;
      const int64_t idx = rem % s.dims[d];
      rem /= s.dims[d];
      oa += idx * s.a[d];
      ob += idx * s.b[d];
    }
    y[i] = from_float<T>(apply_binary<kOp>(to_float(a[oa]), to_float(b[ob])));
  }
}

// Right-aligns a and b against y, checks they broadcast to it, and merges adjacent dimensions
// that every operand walks contiguously or broadcasts along together.
BroadcastStrides coalesce(std::span<const int64_t> sa, std::span<const int64_t> sb, std::span<const int64_t> sy,
                          BinaryOp op) {
  const size_t rank = sy.size();
  auto fail_shapes = [&](const std::string& why) {
    auto str = [](std::span<const int64_t> s) {
      std::string out = "[";
      for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
      return out + "]";
    };
    throw Error(ErrorCode::InvalidArgument, std::string("launch_binary(") + binary_op_name(op) + "): shapes " + str(sa) +
                                                " and " + str(sb) + " with output " + str(sy) + ": " + why);
  };
  if (sa.size() > rank || sb.size() > rank) fail_shapes("an input has more dimensions than the output");
  // Full-rank strides of each operand; 0 where it broadcasts.
  int64_t full[2][64] = {};
  if (rank > 64) fail_shapes("more than 64 dimensions");
  const std::span<const int64_t> operands[2] = {sa, sb};
  for (int k = 0; k < 2; ++k) {
    const auto in = operands[k];
    int64_t acc = 1;
    for (size_t i = in.size(); i-- > 0;) {
      const size_t o = rank - in.size() + i;
      if (in[i] != sy[o] && in[i] != 1) fail_shapes("they do not broadcast to the output");
      full[k][o] = in[i] == 1 ? 0 : acc;
      acc *= in[i];
    }
  }
  BroadcastStrides s;
  for (size_t i = rank; i-- > 0;) {
    if (sy[i] == 1) continue;
    if (s.rank > 0) {
      const int last = s.rank - 1;
      bool mergeable = true;
      for (int k = 0; k < 2; ++k) {
        const int64_t inner_stride = k == 0 ? s.a[last] : s.b[last];
        if (full[k][i] != inner_stride * s.dims[last] && !(full[k][i] == 0 && inner_stride == 0)) mergeable = false;
      }
      if (mergeable) {
        s.dims[last] *= sy[i];
        continue;
      }
    }
    if (s.rank == kMaxBroadcastDims)
      throw Error(ErrorCode::Unsupported, std::string("launch_binary(") + binary_op_name(op) + "): more than " +
                                              std::to_string(kMaxBroadcastDims) + " dimensions after merging");
    s.dims[s.rank] = sy[i];
    s.a[s.rank] = full[0][i];
    s.b[s.rank] = full[1][i];
    ++s.rank;
  }
  if (s.rank == 0) {  // every dimension is 1: one element
    s.rank = 1;
    s.dims[0] = 1;
  }
  return s;
}

template <BinaryOp kOp, typename T, bool kAScalar, bool kBScalar>
void launch_contiguous(const T* a, const T* b, T* y, int64_t n, cudaStream_t stream) {
  constexpr int kVec = kVecWidth<T>;
  const bool aligned = (kAScalar || is_aligned(a, 16)) && (kBScalar || is_aligned(b, 16)) && is_aligned(y, 16);
  if (aligned)
    binary_contiguous_kernel<kOp, T, kVec, kAScalar, kBScalar>
        <<<grid_for((n + kVec - 1) / kVec), kBlockThreads, 0, stream>>>(a, b, y, n);
  else
    binary_contiguous_kernel<kOp, T, 1, kAScalar, kBScalar><<<grid_for(n), kBlockThreads, 0, stream>>>(a, b, y, n);
  LRE_CUDA_CHECK_LAUNCH();
}

template <BinaryOp kOp, typename T, bool kAScalar, bool kBScalar>
void launch_rows(const T* a, const T* b, T* y, const BroadcastStrides& s, cudaStream_t stream) {
  constexpr int kVec = kVecWidth<T>;
  const int64_t cols = s.dims[0], rows = s.dims[1];
  const int64_t row_bytes = cols * static_cast<int64_t>(sizeof(T));
  // Every row of every contiguous operand must start on a Pack boundary for the vector path.
  const bool aligned = row_bytes % 16 == 0 && is_aligned(y, 16) &&
                       (kAScalar || (is_aligned(a, 16) && s.a[1] * static_cast<int64_t>(sizeof(T)) % 16 == 0)) &&
                       (kBScalar || (is_aligned(b, 16) && s.b[1] * static_cast<int64_t>(sizeof(T)) % 16 == 0));
  const int vec = aligned ? kVec : 1;
  const dim3 grid(std::min<unsigned>(grid_for((cols + vec - 1) / vec), 1024u),
                  static_cast<unsigned>(std::min<int64_t>(rows, 65535)));
  if (aligned)
    binary_rows_kernel<kOp, T, kVec, kAScalar, kBScalar><<<grid, kBlockThreads, 0, stream>>>(a, b, y, rows, cols, s.a[1], s.b[1]);
  else
    binary_rows_kernel<kOp, T, 1, kAScalar, kBScalar><<<grid, kBlockThreads, 0, stream>>>(a, b, y, rows, cols, s.a[1], s.b[1]);
  LRE_CUDA_CHECK_LAUNCH();
}

template <BinaryOp kOp, typename T>
void launch_binary_typed(const void* a, const void* b, void* y, int64_t n, const BroadcastStrides& s,
                         cudaStream_t stream) {
  const T* at = static_cast<const T*>(a);
  const T* bt = static_cast<const T*>(b);
  T* yt = static_cast<T*>(y);
  if (s.rank == 1 && s.a[0] == 1 && s.b[0] == 1) {
    launch_contiguous<kOp, T, false, false>(at, bt, yt, n, stream);
  } else if (s.rank == 1 && s.a[0] == 0 && s.b[0] == 1) {
    launch_contiguous<kOp, T, true, false>(at, bt, yt, n, stream);
  } else if (s.rank == 1 && s.a[0] == 1 && s.b[0] == 0) {
    launch_contiguous<kOp, T, false, true>(at, bt, yt, n, stream);
  } else if (s.rank == 2 && s.a[0] == 1 && s.b[0] == 0) {
    launch_rows<kOp, T, false, true>(at, bt, yt, s, stream);
  } else if (s.rank == 2 && s.a[0] == 0 && s.b[0] == 1) {
    launch_rows<kOp, T, true, false>(at, bt, yt, s, stream);
  } else if (s.rank == 2 && s.a[0] == 1 && s.b[0] == 1) {
    launch_rows<kOp, T, false, false>(at, bt, yt, s, stream);
  } else {
    binary_broadcast_kernel<kOp, T><<<grid_for(n), kBlockThreads, 0, stream>>>(at, bt, yt, n, s);
    LRE_CUDA_CHECK_LAUNCH();
  }
}

int64_t numel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

void launch_unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  dispatch_device_float(dtype, unary_op_name(op), [&]<typename T>() {
    switch (op) {
#define LRE_CUDA_UNARY_CASE(name) \
  case UnaryOp::name: launch_unary_typed<UnaryOp::name, T>(x, y, n, stream); return;
      LRE_CUDA_UNARY_OPS(LRE_CUDA_UNARY_CASE)
#undef LRE_CUDA_UNARY_CASE
    }
    throw Error(ErrorCode::InvalidArgument, "launch_unary: unknown op");
  });
}

void launch_binary(BinaryOp op, DType dtype, const void* a, std::span<const int64_t> a_shape, const void* b,
                   std::span<const int64_t> b_shape, void* y, std::span<const int64_t> y_shape, cudaStream_t stream) {
  const BroadcastStrides s = coalesce(a_shape, b_shape, y_shape, op);
  const int64_t n = numel(y_shape);
  if (n <= 0) return;
  dispatch_device_float(dtype, binary_op_name(op), [&]<typename T>() {
    switch (op) {
#define LRE_CUDA_BINARY_CASE(name) \
  case BinaryOp::name: launch_binary_typed<BinaryOp::name, T>(a, b, y, n, s, stream); return;
      LRE_CUDA_BINARY_OPS(LRE_CUDA_BINARY_CASE)
#undef LRE_CUDA_BINARY_CASE
    }
    throw Error(ErrorCode::InvalidArgument, "launch_binary: unknown op");
  });
}

}  // namespace lre::cuda
