// ArgMax and ArgMin: int64 indices along one axis, kept as a unit axis or dropped (keepdims), with
// ties resolved to the first index or, from opset 12, optionally the last (select_last_index).
#include "core/dispatch.h"
#include "kernels/cpu/argmax.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/reduce.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

template <bool kLargest>
class ArgKernel final : public Kernel {
 public:
  explicit ArgKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", 0)),
        keepdims_(init.node.attrs.get_int("keepdims", 1) != 0),
        last_(init.node.attrs.get_int("select_last_index", 0) != 0) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail(std::string(kName) + " needs one input");
    const Tensor& x = *in[0];
    if (x.dtype() == DType::Bool) throw_unsupported_dtype(DType::Bool, kName);
    if (x.rank() == 0) fail(std::string(kName) + " needs an input of rank 1 or more");
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    Shape out = x.shape();
    if (keepdims_) out[static_cast<size_t>(axis)] = 1;
    else out.erase(out.begin() + axis);
    if (x.dim(static_cast<size_t>(axis)) == 0 && shape_numel(out) > 0)
      fail(std::string(kName) + ": axis " + std::to_string(axis_) + " is empty, so it has no extreme to point at");
    return {{DType::Int64, out}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Shape& s = x.shape();
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(s.size()));
    const auto [outer, n, inner] = split_at_axis(s, axis);
    dispatch_numeric(x.dtype(), kName, [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>)
        cpu::arg_extreme(x.data<T>(), ctx.out(0).data<int64_t>(), outer, n, inner, kLargest, last_, &ctx.pool);
    });
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    if (ctx.out(0).numel() == 0) return;
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    const auto [outer, n, inner] = split_at_axis(x.shape(), axis);
    cuda::launch_arg_reduce(kLargest, x.dtype(), x.raw(), outer, n, inner, last_, ctx.out(0).data<int64_t>(), stream_of(ctx));
  }
#endif

 private:
  static constexpr const char* kName = kLargest ? "ArgMax" : "ArgMin";
  int64_t axis_;
  bool keepdims_;
  bool last_;
};

using ArgMaxOp = ArgKernel<true>;
using ArgMinOp = ArgKernel<false>;

}  // namespace

LRE_CPU_KERNEL(ArgMax, ArgMaxOp);
LRE_CPU_KERNEL(ArgMin, ArgMinOp);

}  // namespace lre
