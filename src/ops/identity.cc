// Identity and Constant: a copy of the input, and an attribute turned into a tensor.
#include <cstring>

#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class IdentityKernel final : public Kernel {
 public:
  explicit IdentityKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("Identity needs one input");
    return {{in[0]->dtype(), in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    if (ctx.in(0).nbytes()) std::memcpy(ctx.out(0).raw(), ctx.in(0).raw(), ctx.in(0).nbytes());
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override { device_copy_input(ctx); }
#endif
};

class ConstantKernel final : public Kernel {
 public:
  explicit ConstantKernel(const KernelInit& init) {
    const Attributes& a = init.node.attrs;
    if (a.has("value")) {
      value_ = a.get_tensor("value");
    } else if (a.has("value_float")) {
      value_ = Tensor(DType::Float32, {});
      value_.data<float>()[0] = a.get_float("value_float", 0);
    } else if (a.has("value_int")) {
      value_ = Tensor(DType::Int64, {});
      value_.data<int64_t>()[0] = a.get_int("value_int");
    } else if (a.has("value_floats")) {
      auto v = a.get_floats("value_floats");
      value_ = Tensor(DType::Float32, {static_cast<int64_t>(v.size())});
      std::copy(v.begin(), v.end(), value_.data<float>());
    } else if (a.has("value_ints")) {
      auto v = a.get_ints("value_ints");
      value_ = Tensor(DType::Int64, {static_cast<int64_t>(v.size())});
      std::copy(v.begin(), v.end(), value_.data<int64_t>());
    } else {
      fail_unsupported("Constant needs a tensor, float(s) or int(s) value (sparse and string values are not supported)");
    }
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const>) const override {
    return {{value_.dtype(), value_.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    if (value_.nbytes()) std::memcpy(ctx.out(0).raw(), value_.raw(), value_.nbytes());
  }

 private:
  Tensor value_;
};

}  // namespace

LRE_CPU_KERNEL(Identity, IdentityKernel);
LRE_CPU_KERNEL(Constant, ConstantKernel);

}  // namespace lre
