// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12, 13): input (N, C, d1..dk),
// integer targets (N, d1..dk), optional per-class weights, reduction none/sum/mean, ignore_index.
// SoftmaxCrossEntropyLoss is LogSoftmax over C (its optional second output) followed by NLL.
#include <optional>

#include "core/dispatch.h"
#include "kernels/cpu/loss.h"
#include "kernels/cpu/softmax.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

template <bool kSoftmax>
class LossKernel final : public Kernel {
 public:
  explicit LossKernel(const KernelInit& init) {
    const std::string r = init.node.attrs.get_string("reduction", "mean");
    if (r == "none") reduction_ = cpu::LossReduction::None;
    else if (r == "sum") reduction_ = cpu::LossReduction::Sum;
    else if (r == "mean") reduction_ = cpu::LossReduction::Mean;
    else fail(std::string(kName) + ": reduction '" + r + "' is not one of none, sum, mean");
    if (init.node.attrs.has("ignore_index")) ignore_index_ = init.node.attrs.get_int("ignore_index");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail(std::string(kName) + " needs inputs " + (kSoftmax ? "scores and labels" : "input and target"));
    const Tensor& x = *in[0];
    const Tensor& target = *in[1];
    if (!dtype_is_float(x.dtype())) throw_unsupported_dtype(x.dtype(), kName);
    if (x.rank() < 2) fail(std::string(kName) + " needs an input of rank 2 or more (N, C, ...), got " + shape_to_string(x.shape()));
    if (target.dtype() != DType::Int64 && target.dtype() != DType::Int32)
      fail(std::string(kName) + ": the target must be int32 or int64, got " + dtype_name(target.dtype()));
    Shape want = x.shape();
    want.erase(want.begin() + 1);
    if (target.shape() != want)
      fail(std::string(kName) + ": the target has shape " + shape_to_string(target.shape()) + ", expected " + shape_to_string(want) +
           " (the input " + shape_to_string(x.shape()) + " without its class axis)");
    if (in.size() > 2 && in[2]) {
      if (in[2]->dtype() != x.dtype()) fail(std::string(kName) + ": the weights must have the input's dtype");
      if (in[2]->shape() != Shape{x.dim(1)})
        fail(std::string(kName) + ": the weights have shape " + shape_to_string(in[2]->shape()) + ", expected [" +
             std::to_string(x.dim(1)) + "] (one per class)");
    }
    std::vector<TensorDesc> out{{x.dtype(), reduction_ == cpu::LossReduction::None ? want : Shape{}}};
    if (kSoftmax) out.push_back({x.dtype(), x.shape()});
    return out;
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& target = ctx.in(1);
    const int64_t n = x.dim(0), c = x.dim(1), d = n * c != 0 ? x.numel() / (n * c) : 0;
    dispatch_float(x.dtype(), kName, [&]<typename T>() {
      const T* weight = ctx.has_input(2) ? ctx.in(2).data<T>() : nullptr;
      const T* logp = x.data<T>();
      Tensor log_prob;
      if constexpr (kSoftmax) {
        log_prob = ctx.has_output(1) ? ctx.out(1) : Tensor(x.dtype(), x.shape());
        cpu::softmax(x.data<T>(), log_prob.data<T>(), n, c, d, cpu::SoftmaxKind::LogSoftmax, &ctx.pool);
        logp = log_prob.data<T>();
      }
      T* out = ctx.out(0).data<T>();
      if (target.dtype() == DType::Int64)
        cpu::nll_loss(logp, target.data<int64_t>(), weight, n, c, d, ignore_index_, reduction_, out);
      else
        cpu::nll_loss(logp, target.data<int32_t>(), weight, n, c, d, ignore_index_, reduction_, out);
    });
  }

 private:
  static constexpr const char* kName = kSoftmax ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss";
  cpu::LossReduction reduction_ = cpu::LossReduction::Mean;
  std::optional<int64_t> ignore_index_;
};

using NllLossOp = LossKernel<false>;
using SoftmaxCrossEntropyOp = LossKernel<true>;

}  // namespace

LRE_CPU_KERNEL(NegativeLogLikelihoodLoss, NllLossOp);
LRE_CPU_KERNEL(SoftmaxCrossEntropyLoss, SoftmaxCrossEntropyOp);

}  // namespace lre
