// Dropout. In inference (always before opset 12; from opset 12 unless the training_mode input is
// true) the output is the input and the mask is all true. Training mode drops at random with the
// ratio input (default 0.5), seeded from the seed attribute when there is one.
#include <cstring>
#include <random>

#include "core/dispatch.h"
#include "kernels/cpu/dropout.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class DropoutKernel final : public Kernel {
 public:
  explicit DropoutKernel(const KernelInit& init)
      : opset_(init.opset), has_seed_(init.node.attrs.has("seed")), seed_(init.node.attrs.get_int("seed", 0)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("Dropout needs input data");
    const Tensor& x = *in[0];
    if (!dtype_is_float(x.dtype())) throw_unsupported_dtype(x.dtype(), "Dropout");
    if (training(in)) ratio(in);
    // The mask is bool from opset 10, the data's type before.
    return {{x.dtype(), x.shape()}, {opset_ >= 10 ? DType::Bool : x.dtype(), x.shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    if (training(ctx.inputs)) {
      const uint64_t seed = has_seed_ ? static_cast<uint64_t>(seed_) : std::random_device{}();
      bool* mask = ctx.has_output(1) ? ctx.out(1).data<bool>() : nullptr;
      dispatch_float(x.dtype(), "Dropout", [&]<typename T>() {
        cpu::dropout_train(x.data<T>(), y.data<T>(), mask, x.numel(), ratio(ctx.inputs), seed);
      });
      return;
    }
    if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    if (!ctx.has_output(1)) return;
    Tensor& mask = ctx.out(1);
    dispatch_dtype(mask.dtype(), [&]<typename M>() {
      if constexpr (std::is_same_v<M, bool>) std::fill(mask.data<bool>(), mask.data<bool>() + mask.numel(), true);
      else std::fill(mask.data<M>(), mask.data<M>() + mask.numel(), static_cast<M>(static_cast<compute_t<M>>(1)));
    });
  }

 private:
  bool training(std::span<const Tensor* const> in) const {
    if (opset_ < 12 || in.size() < 3 || !in[2]) return false;
    if (in[2]->dtype() != DType::Bool || in[2]->numel() != 1)
      fail("Dropout: training_mode must be one bool, got " + std::string(dtype_name(in[2]->dtype())) + " " + shape_to_string(in[2]->shape()));
    return in[2]->data<bool>()[0];
  }
  static double ratio(std::span<const Tensor* const> in) {
    const double r = in.size() > 1 && in[1] ? read_scalar(*in[1], "Dropout ratio") : 0.5;
    if (!(r >= 0 && r < 1)) fail("Dropout: ratio " + std::to_string(r) + " is outside [0, 1)");
    return r;
  }

  int opset_;
  bool has_seed_;
  int64_t seed_;
};

}  // namespace

LRE_CPU_KERNEL(Dropout, DropoutKernel);

}  // namespace lre
