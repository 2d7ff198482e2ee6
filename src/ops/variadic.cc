// Max, Min, Sum and Mean over any number of inputs with multidirectional broadcasting: the first
// input is broadcast into the output, then each further input is folded in place.
#include <algorithm>
#include <cmath>

#include "core/dispatch.h"
#include "kernels/cpu/broadcast.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/expand.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

enum class Fold { Max, Min, Sum, Mean };

template <typename C> bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return std::isnan(v);
  else return false;
}

template <Fold kOp>
class VariadicKernel final : public Kernel {
 public:
  explicit VariadicKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("expects at least one input");
    Shape s = in[0]->shape();
    for (const Tensor* t : in) {
      if (!t) fail("inputs cannot be omitted");
      if (t->dtype() != in[0]->dtype()) fail("all inputs must have the same dtype");
      s = broadcast_shapes(s, t->shape());
    }
    if (in[0]->dtype() == DType::Bool) fail_unsupported("bool inputs");
    return {{in[0]->dtype(), s}};
  }
  void compute(KernelContext& ctx) const override {
    Tensor& y = ctx.out(0);
    dispatch_numeric(y.dtype(), "variadic op", [&]<typename T>() {
      using C = compute_t<T>;
      const Tensor& first = ctx.in(0);
      // Broadcast-copy of the first input (the second operand is ignored).
      cpu::binary_map(first.data<T>(), first.shape(), first.data<T>(), first.shape(), y.data<T>(), y.shape(), &ctx.pool,
                      [](T v, T) { return v; });
      for (size_t k = 1; k < ctx.inputs.size(); ++k) {
        const Tensor& t = ctx.in(k);
        cpu::binary_map(y.data<T>(), y.shape(), t.data<T>(), t.shape(), y.data<T>(), y.shape(), &ctx.pool, [](T acc, T v) {
          C p = static_cast<C>(acc), q = static_cast<C>(v);
          if constexpr (kOp == Fold::Max) return static_cast<T>(is_nan(p) || is_nan(q) ? p + q : std::max(p, q));
          else if constexpr (kOp == Fold::Min) return static_cast<T>(is_nan(p) || is_nan(q) ? p + q : std::min(p, q));
          else return static_cast<T>(p + q);
        });
      }
      if constexpr (kOp == Fold::Mean) {
        const C n = static_cast<C>(ctx.inputs.size());
        cpu::unary_map(y.data<T>(), y.data<T>(), y.numel(), &ctx.pool, [n](T v) { return static_cast<T>(static_cast<C>(v) / n); });
      }
    });
  }
#if LRE_WITH_CUDA
  // The first input broadcast into the output, then each other one folded in place.
  bool cuda_supports(std::span<const TensorDesc> in) const override { return kOp != Fold::Mean && cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override {
    Tensor& y = ctx.out(0);
    if (y.numel() == 0) return;
    constexpr cuda::BinaryOp kCudaOp = kOp == Fold::Max ? cuda::BinaryOp::Max : kOp == Fold::Min ? cuda::BinaryOp::Min
                                                                                                 : cuda::BinaryOp::Add;
    const Tensor& first = ctx.in(0);
    cuda::launch_expand(dtype_size(y.dtype()), first.raw(), first.shape(), y.raw(), y.shape(), stream_of(ctx));
    for (size_t k = 1; k < ctx.inputs.size(); ++k)
      cuda::launch_binary(kCudaOp, y.dtype(), y.raw(), y.shape(), ctx.in(k).raw(), ctx.in(k).shape(), y.raw(), y.shape(),
                          stream_of(ctx));
  }
#endif
};

using MaxKernel = VariadicKernel<Fold::Max>;
using MinKernel = VariadicKernel<Fold::Min>;
using SumKernel = VariadicKernel<Fold::Sum>;
using MeanKernel = VariadicKernel<Fold::Mean>;

}  // namespace

LRE_CPU_KERNEL(Max, MaxKernel);
LRE_CPU_KERNEL(Min, MinKernel);
LRE_CPU_KERNEL(Sum, SumKernel);
LRE_CPU_KERNEL(Mean, MeanKernel);

}  // namespace lre
