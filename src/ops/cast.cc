// Cast (target dtype from the `to` attribute) and CastLike (from the second input's dtype).
#include "kernels/cpu/cast.h"
#include "onnx/tensor_proto.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class CastKernel final : public Kernel {
 public:
  explicit CastKernel(const KernelInit& init) : to_(dtype_from_onnx(static_cast<int>(init.node.attrs.get_int("to")), "Cast 'to'")) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("expects one input");
    return {{to_, in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    cpu::cast(ctx.in(0).raw(), ctx.in(0).dtype(), ctx.out(0).raw(), to_, ctx.in(0).numel(), &ctx.pool);
  }

 private:
  DType to_;
};

class CastLikeKernel final : public Kernel {
 public:
  explicit CastLikeKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("expects an input and a target_type input");
    return {{in[1]->dtype(), in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    cpu::cast(ctx.in(0).raw(), ctx.in(0).dtype(), ctx.out(0).raw(), ctx.in(1).dtype(), ctx.in(0).numel(), &ctx.pool);
  }
};

}  // namespace

LRE_CPU_KERNEL(Cast, CastKernel);
LRE_CPU_KERNEL(CastLike, CastLikeKernel);

}  // namespace lre
