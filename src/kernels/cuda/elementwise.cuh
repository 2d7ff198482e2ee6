// Launchers of the element-wise CUDA kernels: unary math, binary arithmetic with numpy
// broadcasting, and dtype casts. Plain C++ can include this header (no device code, no framework
// types); every launcher takes the stream it enqueues on and never synchronises.
#pragma once

#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// The float unary ops of the CPU backend (src/ops/unary.cc), under their ONNX names.
#define LRE_CUDA_UNARY_OPS(X)                                                                   \
  X(Abs) X(Neg) X(Sign) X(Relu) X(Exp) X(Log) X(Sqrt) X(Reciprocal) X(Floor) X(Ceil) X(Round)   \
  X(Sin) X(Cos) X(Tan) X(Asin) X(Acos) X(Atan) X(Sinh) X(Cosh) X(Asinh) X(Acosh) X(Atanh)       \
  X(Erf) X(Sigmoid) X(Tanh) X(Softsign) X(Softplus) X(Mish) X(HardSwish)

#define LRE_CUDA_BINARY_OPS(X) X(Add) X(Sub) X(Mul) X(Div) X(Pow) X(Max) X(Min)

#define LRE_CUDA_ENUM_ENTRY(name) name,
enum class UnaryOp { LRE_CUDA_UNARY_OPS(LRE_CUDA_ENUM_ENTRY) };
enum class BinaryOp { LRE_CUDA_BINARY_OPS(LRE_CUDA_ENUM_ENTRY) };
#undef LRE_CUDA_ENUM_ENTRY

const char* unary_op_name(UnaryOp op);
const char* binary_op_name(BinaryOp op);

// Tensors of more dimensions than this, after merging dimensions that broadcast alike, are
// refused (Unsupported); ONNX models stay well below it.
constexpr int kMaxBroadcastDims = 8;

// y[i] = op(x[i]) for n elements of dtype (Float32, Float16 or BFloat16; arithmetic in float32).
// x and y may be the same pointer.
void launch_unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream);

// y = op(a, b) with numpy broadcasting of a and b to y_shape (which must be their broadcast shape).
// All three have dtype (Float32, Float16 or BFloat16; arithmetic in float32). Max and Min
// propagate NaN, as the CPU kernels do.
void launch_binary(BinaryOp op, DType dtype, const void* a, std::span<const int64_t> a_shape, const void* b,
                   std::span<const int64_t> b_shape, void* y, std::span<const int64_t> y_shape, cudaStream_t stream);

// Converts n elements between any two dtypes with the CPU's rules (src/kernels/cpu/cast.h): float
// to integer truncates toward zero and saturates (NaN becomes 0), to bool is "!= 0", integer to
// integer wraps.
void launch_cast(DType from, DType to, const void* x, void* y, int64_t n, cudaStream_t stream);

}  // namespace lre::cuda
