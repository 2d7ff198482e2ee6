// Activations with attributes (LeakyRelu, Elu, Selu, Celu, HardSigmoid, ThresholdedRelu, Shrink),
// Clip (bounds as attributes before opset 11, optional inputs after) and PRelu (slope broadcast).
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "kernels/cpu/broadcast.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include <optional>

#include "kernels/cuda/activation.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

#if LRE_WITH_CUDA
// The CUDA twin of an activation by its ONNX name.
std::optional<cuda::ActivationOp> cuda_activation(const std::string& op_type) {
#define LRE_CUDA_ACTIVATION_CASE(name) \
  if (op_type == #name) return cuda::ActivationOp::name;
  LRE_CUDA_ACTIVATION_OPS(LRE_CUDA_ACTIVATION_CASE)
#undef LRE_CUDA_ACTIVATION_CASE
  return std::nullopt;
}

void launch_activation_on(KernelContext& ctx, cuda::ActivationOp op, const cuda::ActivationParams& p) {
  const Tensor& x = ctx.in(0);
  cuda::launch_activation(op, p, x.dtype(), x.raw(), ctx.out(0).raw(), x.numel(), stream_of(ctx));
}
#endif

// f(x; alpha, beta) over float types. `Op` is a functor with the attribute defaults built in.
template <typename Op>
class ActivationKernel final : public Kernel {
 public:
  explicit ActivationKernel(const KernelInit& init)
      : alpha_(init.node.attrs.get_float("alpha", Op::kAlpha)),
        beta_(init.node.attrs.get_float(Op::kBetaName, Op::kBeta)) {
#if LRE_WITH_CUDA
    cuda_op_ = cuda_activation(init.node.op_type);
    params_.alpha = alpha_;
    // The second attribute is Selu's gamma, the others' beta.
    (std::string(Op::kBetaName) == "gamma" ? params_.gamma : params_.beta) = beta_;
#endif
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return cuda_op_ && cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override { launch_activation_on(ctx, *cuda_op_, params_); }
#endif

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("expects one input");
    if (!dtype_is_float(in[0]->dtype()))
      fail_unsupported(std::string("input dtype ") + dtype_name(in[0]->dtype()) + " is not supported");
    return {{in[0]->dtype(), in[0]->shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    dispatch_float(x.dtype(), "activation", [&]<typename T>() {
      using C = compute_t<T>;
      const C a = static_cast<C>(alpha_), b = static_cast<C>(beta_);
      cpu::unary_map(x.data<T>(), ctx.out(0).data<T>(), x.numel(), &ctx.pool,
                     [&](T v) { return static_cast<T>(Op::apply(static_cast<C>(static_cast<compute_t<T>>(v)), a, b)); });
    });
  }

 private:
  float alpha_, beta_;
#if LRE_WITH_CUDA
  std::optional<cuda::ActivationOp> cuda_op_;
  cuda::ActivationParams params_;
#endif
};

struct LeakyReluOp {
  static constexpr float kAlpha = 0.01f, kBeta = 0;
  static constexpr const char* kBetaName = "beta";
  template <typename C> static C apply(C x, C a, C) { return x < 0 ? a * x : x; }
};
struct EluOp {
  static constexpr float kAlpha = 1.0f, kBeta = 0;
  static constexpr const char* kBetaName = "beta";
  template <typename C> static C apply(C x, C a, C) { return x < 0 ? a * std::expm1(x) : x; }
};
struct SeluOp {
  static constexpr float kAlpha = 1.67326319217681884765625f, kBeta = 1.05070102214813232421875f;
  static constexpr const char* kBetaName = "gamma";
  template <typename C> static C apply(C x, C a, C g) { return x <= 0 ? g * a * std::expm1(x) : g * x; }
};
struct CeluOp {
  static constexpr float kAlpha = 1.0f, kBeta = 0;
  static constexpr const char* kBetaName = "beta";
  template <typename C> static C apply(C x, C a, C) { return std::max(C(0), x) + std::min(C(0), a * std::expm1(x / a)); }
};
struct HardSigmoidOp {
  static constexpr float kAlpha = 0.2f, kBeta = 0.5f;
  static constexpr const char* kBetaName = "beta";
  template <typename C> static C apply(C x, C a, C b) { return std::max(C(0), std::min(C(1), a * x + b)); }
};
struct ThresholdedReluOp {
  static constexpr float kAlpha = 1.0f, kBeta = 0;
  static constexpr const char* kBetaName = "beta";
  template <typename C> static C apply(C x, C a, C) { return x > a ? x : C(0); }
};
class ShrinkKernel final : public Kernel {
 public:
  explicit ShrinkKernel(const KernelInit& init)
      : lambd_(init.node.attrs.get_float("lambd", 0.5f)), bias_(init.node.attrs.get_float("bias", 0.f)) {}

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override {
    cuda::ActivationParams p;
    p.alpha = lambd_;
    p.beta = bias_;
    launch_activation_on(ctx, cuda::ActivationOp::Shrink, p);
  }
#endif
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0] || in[0]->dtype() == DType::Bool) fail("expects one numeric input");
    return {{in[0]->dtype(), in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    dispatch_numeric(x.dtype(), "Shrink", [&]<typename T>() {
      const double lambd = lambd_, bias = bias_;
      cpu::unary_map(x.data<T>(), ctx.out(0).data<T>(), x.numel(), &ctx.pool, [&](T v) {
        double d = static_cast<double>(static_cast<compute_t<T>>(v));
        return static_cast<T>(d < -lambd ? d + bias : d > lambd ? d - bias : 0.0);
      });
    });
  }

 private:
  float lambd_, bias_;
};

class ClipKernel final : public Kernel {
 public:
  explicit ClipKernel(const KernelInit& init) : opset_(init.opset) {
    min_attr_ = init.node.attrs.get_float("min", -std::numeric_limits<float>::infinity());
    max_attr_ = init.node.attrs.get_float("max", std::numeric_limits<float>::infinity());
  }

  // The bounds are read on the host (usually constants), so the device never waits for them.
  std::vector<int> shape_value_inputs() const override { return opset_ >= 11 ? std::vector<int>{1, 2} : std::vector<int>{}; }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override {
    cuda::ActivationParams p;
    p.alpha = opset_ < 11 ? min_attr_ : -std::numeric_limits<float>::infinity();
    p.beta = opset_ < 11 ? max_attr_ : std::numeric_limits<float>::infinity();
    auto bound = [&](size_t i, float& out) {
      if (const Tensor* t = ctx.host_in(i)) {
        dispatch_float(t->dtype(), "Clip", [&]<typename T>() { out = static_cast<float>(static_cast<compute_t<T>>(t->data<T>()[0])); });
      }
    };
    if (opset_ >= 11) {
      bound(1, p.alpha);
      bound(2, p.beta);
    }
    launch_activation_on(ctx, cuda::ActivationOp::Clip, p);
  }
#endif
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0] || in[0]->dtype() == DType::Bool) fail("expects a numeric input");
    for (size_t i = 1; i < in.size() && i < 3; ++i) {
      if (!in[i]) continue;
      if (in[i]->numel() != 1) fail("min and max must be scalars, got shape " + shape_to_string(in[i]->shape()));
      if (in[i]->dtype() != in[0]->dtype()) fail("min and max must have the input's dtype");
    }
    return {{in[0]->dtype(), in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    dispatch_numeric(x.dtype(), "Clip", [&]<typename T>() {
      using C = compute_t<T>;
      C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
      if constexpr (std::is_floating_point_v<C>) {
        lo = -std::numeric_limits<C>::infinity();
        hi = std::numeric_limits<C>::infinity();
      }
      if (opset_ < 11) {
        lo = static_cast<C>(min_attr_);
        hi = static_cast<C>(max_attr_);
      } else {
        if (ctx.has_input(1)) lo = static_cast<C>(ctx.in(1).data<T>()[0]);
        if (ctx.has_input(2)) hi = static_cast<C>(ctx.in(2).data<T>()[0]);
      }
      cpu::unary_map(x.data<T>(), ctx.out(0).data<T>(), x.numel(), &ctx.pool, [&](T v) {
        C c = static_cast<C>(v);
        if (c != c) return v;  // NaN stays NaN
        return static_cast<T>(std::min(std::max(c, lo), hi));  // min > max gives max, as the spec says
      });
    });
  }

 private:
  int opset_;
  float min_attr_, max_attr_;
};

class PReluKernel final : public Kernel {
 public:
  explicit PReluKernel(const KernelInit& init) : per_channel_(init.opset < 7) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("expects X and slope");
    if (in[0]->dtype() != in[1]->dtype()) fail("slope must have X's dtype");
    if (broadcast_shapes(in[0]->shape(), slope_shape(*in[0], *in[1])) != in[0]->shape())
      fail("slope of shape " + shape_to_string(in[1]->shape()) + " does not broadcast to X's " + shape_to_string(in[0]->shape()));
    return {{in[0]->dtype(), in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor s = ctx.in(1).reshaped(slope_shape(x, ctx.in(1)));
    dispatch_numeric(x.dtype(), "PRelu", [&]<typename T>() {
      using C = compute_t<T>;
      cpu::binary_map(x.data<T>(), x.shape(), s.data<T>(), s.shape(), ctx.out(0).data<T>(), x.shape(), &ctx.pool,
                      [](T v, T slope) {
                        C c = static_cast<C>(v);
                        return c < C(0) ? static_cast<T>(static_cast<C>(slope) * c) : v;
                      });
    });
  }

 private:
  // Before opset 7 a 1-D slope of length C applied per channel (axis 1), not to the last axis.
  Shape slope_shape(const Tensor& x, const Tensor& slope) const {
    if (!per_channel_ || slope.rank() != 1 || x.rank() < 2 || slope.dim(0) != x.dim(1) || slope.dim(0) == 1) return slope.shape();
    Shape s(x.rank() - 1, 1);
    s[0] = slope.dim(0);
    return s;
  }
  bool per_channel_;
};

}  // namespace

LRE_CPU_KERNEL(LeakyRelu, ActivationKernel<LeakyReluOp>);
LRE_CPU_KERNEL(Elu, ActivationKernel<EluOp>);
LRE_CPU_KERNEL(Selu, ActivationKernel<SeluOp>);
LRE_CPU_KERNEL(Celu, ActivationKernel<CeluOp>);
LRE_CPU_KERNEL(HardSigmoid, ActivationKernel<HardSigmoidOp>);
LRE_CPU_KERNEL(ThresholdedRelu, ActivationKernel<ThresholdedReluOp>);
LRE_CPU_KERNEL(Shrink, ShrinkKernel);
LRE_CPU_KERNEL(Clip, ClipKernel);
LRE_CPU_KERNEL(PRelu, PReluKernel);

}  // namespace lre
