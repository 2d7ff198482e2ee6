// Element-wise unary ops: math functions (float types), sign-aware ops (all numeric types),
// IsNaN/IsInf (float -> bool) and Not (bool). Each op is a small functor; one kernel template
// does the dtype dispatch and the parallel loop.
#include <cmath>

#include "core/dispatch.h"
#include "kernels/cpu/broadcast.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/elementwise.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

#if LRE_WITH_CUDA
// The CUDA twin of an op, by its ONNX name; -1 when the device has none.
int cuda_unary_op(const std::string& op_type) {
#define LRE_CUDA_UNARY_CASE(name) \
  if (op_type == #name) return static_cast<int>(cuda::UnaryOp::name);
  LRE_CUDA_UNARY_OPS(LRE_CUDA_UNARY_CASE)
#undef LRE_CUDA_UNARY_CASE
  return -1;
}
#endif

// Which dtypes an op accepts.
enum class Domain { Float, Numeric };

template <typename Op>
class UnaryKernel final : public Kernel {
 public:
  explicit UnaryKernel(const KernelInit& init) : op_(init.node.attrs) {
#if LRE_WITH_CUDA
    cuda_op_ = cuda_unary_op(init.node.op_type);
#endif
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("expects one input");
    DType t = in[0]->dtype();
    bool ok = Op::kDomain == Domain::Float ? dtype_is_float(t) : t != DType::Bool;
    if (!ok) fail_unsupported(std::string("input dtype ") + dtype_name(t) + " is not supported");
    return {{t, in[0]->shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    dispatch_numeric(x.dtype(), "unary op", [&]<typename T>() {
      using C = compute_t<T>;
      if constexpr (Op::kDomain == Domain::Float && !std::is_floating_point_v<C>) {
        fail_unsupported("integer input");
      } else {
        cpu::unary_map(x.data<T>(), y.data<T>(), x.numel(), &ctx.pool, [&](T v) { return T(op_(static_cast<C>(v))); });
      }
    });
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return cuda_op_ >= 0 && cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override {
    cuda::launch_unary(static_cast<cuda::UnaryOp>(cuda_op_), ctx.in(0).dtype(), ctx.in(0).raw(), ctx.out(0).raw(),
                       ctx.in(0).numel(), stream_of(ctx));
  }
#endif

 private:
  Op op_;
#if LRE_WITH_CUDA
  int cuda_op_ = -1;
#endif
};

#define LRE_FLOAT_UNARY(Name, expr)                                   \
  struct Name##Op {                                                   \
    static constexpr Domain kDomain = Domain::Float;                  \
    explicit Name##Op(const Attributes&) {}                           \
    template <typename C> C operator()(C x) const { return expr; }    \
  };                                                                  \
  LRE_CPU_KERNEL(Name, UnaryKernel<Name##Op>)

LRE_FLOAT_UNARY(Exp, std::exp(x));
LRE_FLOAT_UNARY(Log, std::log(x));
LRE_FLOAT_UNARY(Sqrt, std::sqrt(x));
LRE_FLOAT_UNARY(Reciprocal, C(1) / x);
LRE_FLOAT_UNARY(Floor, std::floor(x));
LRE_FLOAT_UNARY(Ceil, std::ceil(x));
LRE_FLOAT_UNARY(Round, std::nearbyint(x));  // the default rounding mode rounds half to even
LRE_FLOAT_UNARY(Sin, std::sin(x));
LRE_FLOAT_UNARY(Cos, std::cos(x));
LRE_FLOAT_UNARY(Tan, std::tan(x));
LRE_FLOAT_UNARY(Asin, std::asin(x));
LRE_FLOAT_UNARY(Acos, std::acos(x));
LRE_FLOAT_UNARY(Atan, std::atan(x));
LRE_FLOAT_UNARY(Sinh, std::sinh(x));
LRE_FLOAT_UNARY(Cosh, std::cosh(x));
LRE_FLOAT_UNARY(Asinh, std::asinh(x));
LRE_FLOAT_UNARY(Acosh, std::acosh(x));
LRE_FLOAT_UNARY(Atanh, std::atanh(x));
LRE_FLOAT_UNARY(Erf, std::erf(x));
LRE_FLOAT_UNARY(Sigmoid, x >= 0 ? C(1) / (C(1) + std::exp(-x)) : std::exp(x) / (C(1) + std::exp(x)));
LRE_FLOAT_UNARY(Tanh, std::tanh(x));
LRE_FLOAT_UNARY(Softsign, x / (C(1) + std::fabs(x)));
LRE_FLOAT_UNARY(Softplus, x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)));
LRE_FLOAT_UNARY(Mish, x * std::tanh(x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))));
LRE_FLOAT_UNARY(HardSwish, x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5))));

// Sign-aware ops over every numeric type; unsigned types have no negative values to handle.
template <typename C> constexpr bool is_negative(C x) {
  if constexpr (std::is_unsigned_v<C>) return false;
  else return x < C(0);
}

#define LRE_NUMERIC_UNARY(Name, expr)                                 \
  struct Name##Op {                                                   \
    static constexpr Domain kDomain = Domain::Numeric;                \
    explicit Name##Op(const Attributes&) {}                           \
    template <typename C> C operator()(C x) const { return expr; }    \
  };                                                                  \
  LRE_CPU_KERNEL(Name, UnaryKernel<Name##Op>)

LRE_NUMERIC_UNARY(Abs, is_negative(x) ? C(-x) : x);
LRE_NUMERIC_UNARY(Neg, C(-x));
LRE_NUMERIC_UNARY(Sign, C(is_negative(x) ? -1 : x > C(0) ? 1 : 0));
LRE_NUMERIC_UNARY(Relu, is_negative(x) ? C(0) : x);

// Float -> bool predicates.
class FloatPredicateKernel : public Kernel {
 public:
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("expects one input");
    if (!dtype_is_float(in[0]->dtype())) fail_unsupported(std::string("input dtype ") + dtype_name(in[0]->dtype()));
    return {{DType::Bool, in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    dispatch_float(x.dtype(), "predicate", [&]<typename T>() {
      cpu::unary_map(x.data<T>(), ctx.out(0).data<bool>(), x.numel(), &ctx.pool,
                     [&](T v) { return test(static_cast<double>(static_cast<compute_t<T>>(v))); });
    });
  }

 protected:
  virtual bool test(double v) const = 0;
};

class IsNaNKernel final : public FloatPredicateKernel {
 public:
  explicit IsNaNKernel(const KernelInit&) {}
  bool test(double v) const override { return std::isnan(v); }
};

class IsInfKernel final : public FloatPredicateKernel {
 public:
  explicit IsInfKernel(const KernelInit& init)
      : positive_(init.node.attrs.get_int("detect_positive", 1) != 0),
        negative_(init.node.attrs.get_int("detect_negative", 1) != 0) {}
  bool test(double v) const override { return std::isinf(v) && (v > 0 ? positive_ : negative_); }

 private:
  bool positive_, negative_;
};

class NotKernel final : public Kernel {
 public:
  explicit NotKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0] || in[0]->dtype() != DType::Bool) fail("Not expects one bool input");
    return {{DType::Bool, in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    cpu::unary_map(ctx.in(0).data<bool>(), ctx.out(0).data<bool>(), ctx.in(0).numel(), &ctx.pool, [](bool v) { return !v; });
  }
};

}  // namespace

LRE_CPU_KERNEL(IsNaN, IsNaNKernel);
LRE_CPU_KERNEL(IsInf, IsInfKernel);
LRE_CPU_KERNEL(Not, NotKernel);

}  // namespace lre
