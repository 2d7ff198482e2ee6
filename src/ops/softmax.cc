// Softmax, LogSoftmax and Hardmax. Opset 13 works along one axis (default -1); older opsets flatten
// the input to 2-D at `axis` (default 1) and normalise each row of the flattened matrix.
#include "core/dispatch.h"
#include "kernels/cpu/softmax.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/softmax.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

template <cpu::SoftmaxKind kKind>
class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(const KernelInit& init)
      : flatten_(init.opset < 13), axis_(init.node.attrs.get_int("axis", init.opset < 13 ? 1 : -1)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail(std::string(name()) + " needs one input");
    if (!dtype_is_float(in[0]->dtype())) throw_unsupported_dtype(in[0]->dtype(), name());
    normalize_axis(axis_, static_cast<int64_t>(in[0]->rank()));
    return {{in[0]->dtype(), in[0]->shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Shape& s = x.shape();
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(s.size()));
    const auto [outer, n, inner] = split_at_axis(s, axis, flatten_);
    dispatch_float(x.dtype(), name(), [&]<typename T>() {
      cpu::softmax(x.data<T>(), ctx.out(0).data<T>(), outer, n, inner, kKind, &ctx.pool);
    });
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    return kKind != cpu::SoftmaxKind::Hardmax && cuda_float(in[0].dtype);
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    if (x.numel() == 0) return;
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    const auto [outer, n, inner] = split_at_axis(x.shape(), axis, flatten_);
    cuda::launch_softmax(x.dtype(), x.raw(), ctx.out(0).raw(), outer, n, inner, kKind == cpu::SoftmaxKind::LogSoftmax,
                         stream_of(ctx));
  }
#endif

 private:
  static const char* name() {
    switch (kKind) {
      case cpu::SoftmaxKind::Softmax: return "Softmax";
      case cpu::SoftmaxKind::LogSoftmax: return "LogSoftmax";
      case cpu::SoftmaxKind::Hardmax: return "Hardmax";
    }
    return "Softmax";
  }

  bool flatten_;  // opset < 13: coerce to 2-D at axis
  int64_t axis_;
};

using SoftmaxOp = SoftmaxKernel<cpu::SoftmaxKind::Softmax>;
using LogSoftmaxOp = SoftmaxKernel<cpu::SoftmaxKind::LogSoftmax>;
using HardmaxOp = SoftmaxKernel<cpu::SoftmaxKind::Hardmax>;

}  // namespace

LRE_CPU_KERNEL(Softmax, SoftmaxOp);
LRE_CPU_KERNEL(LogSoftmax, LogSoftmaxOp);
LRE_CPU_KERNEL(Hardmax, HardmaxOp);

}  // namespace lre
