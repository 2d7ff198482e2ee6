// Where(condition, X, Y) with three-way broadcasting.
#include "core/dispatch.h"
#include "kernels/cpu/broadcast.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/where.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class WhereKernel final : public Kernel {
 public:
  explicit WhereKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 3 || !in[0] || !in[1] || !in[2]) fail("expects condition, X and Y");
    if (in[0]->dtype() != DType::Bool) fail(std::string("condition must be bool, got ") + dtype_name(in[0]->dtype()));
    if (in[1]->dtype() != in[2]->dtype()) fail("X and Y must have the same dtype");
    return {{in[1]->dtype(), broadcast_shapes(broadcast_shapes(in[0]->shape(), in[1]->shape()), in[2]->shape())}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor &c = ctx.in(0), &x = ctx.in(1), &y = ctx.in(2);
    Tensor& out = ctx.out(0);
    dispatch_dtype(x.dtype(), [&]<typename T>() {
      cpu::ternary_map(c.data<bool>(), c.shape(), x.data<T>(), x.shape(), y.data<T>(), y.shape(), out.data<T>(), out.shape(),
                       &ctx.pool, [](bool cond, T a, T b) { return cond ? a : b; });
    });
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return in[1].dtype == in[2].dtype; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor &c = ctx.in(0), &x = ctx.in(1), &y = ctx.in(2);
    Tensor& out = ctx.out(0);
    if (out.numel() == 0) return;
    cuda::launch_where(dtype_size(x.dtype()), c.data<bool>(), c.shape(), x.raw(), x.shape(), y.raw(), y.shape(), out.raw(),
                       out.shape(), stream_of(ctx));
  }
#endif
};

}  // namespace

LRE_CPU_KERNEL(Where, WhereKernel);

}  // namespace lre
