// Cast (target dtype from the `to` attribute) and CastLike (from the second input's dtype).
#include "kernels/cpu/cast.h"
#include "onnx/tensor_proto.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/elementwise.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

#if LRE_WITH_CUDA
namespace {
// Casts convert to the output's storage dtype, so Cast(to=float) under fp16 stays in float16.
void cast_on_device(KernelContext& ctx) {
  if (ctx.in(0).dtype() == ctx.out(0).dtype()) return device_copy_input(ctx);
  cuda::launch_cast(ctx.in(0).dtype(), ctx.out(0).dtype(), ctx.in(0).raw(), ctx.out(0).raw(), ctx.in(0).numel(),
                    stream_of(ctx));
}
}  // namespace
#endif

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
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override { cast_on_device(ctx); }
#endif

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
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override { cast_on_device(ctx); }
#endif
};

}  // namespace

LRE_CPU_KERNEL(Cast, CastKernel);
LRE_CPU_KERNEL(CastLike, CastLikeKernel);

}  // namespace lre
