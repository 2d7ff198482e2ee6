// Det (opset 11): determinants of the trailing square matrices of a (*, M, M) input.
#include "core/dispatch.h"
#include "kernels/cpu/det.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class DetKernel final : public Kernel {
 public:
  explicit DetKernel(const KernelInit&) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("Det needs one input");
    const Tensor& x = *in[0];
    if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2))
      fail("Det needs square matrices in the last two axes (*, M, M), got shape " + shape_to_string(x.shape()));
    if (!dtype_is_float(x.dtype()))
      fail_unsupported(std::string("Det supports float inputs, got ") + dtype_name(x.dtype()));
    return {{x.dtype(), Shape(x.shape().begin(), x.shape().end() - 2)}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t m = x.dim(x.rank() - 1);
    const int64_t batch = ctx.out(0).numel();
    dispatch_float(x.dtype(), "Det",
                   [&]<typename T>() { cpu::det<T>(x.data<T>(), ctx.out(0).data<T>(), batch, m, &ctx.pool); });
  }
};

}  // namespace

LRE_CPU_KERNEL(Det, DetKernel);

}  // namespace lre
