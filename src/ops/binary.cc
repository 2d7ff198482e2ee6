// Element-wise binary ops with numpy broadcasting: arithmetic, Pow, Mod, BitShift, logic and
// comparisons. Integer division or modulo by zero is an error, not undefined behaviour.
#include <cmath>
#include <type_traits>

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

Shape check_binary(std::span<const Tensor* const> in, bool same_dtype) {
  if (in.size() < 2 || !in[0] || !in[1]) fail("expects two inputs");
  if (same_dtype && in[0]->dtype() != in[1]->dtype())
    fail(std::string("inputs have different dtypes: ") + dtype_name(in[0]->dtype()) + " and " + dtype_name(in[1]->dtype()));
  return broadcast_shapes(in[0]->shape(), in[1]->shape());
}

// Before opset 7, arithmetic broadcast only B to A and only when asked (broadcast=1), aligning B's
// dimensions at `axis` of A rather than at the right. Returns B's shape padded with trailing ones
// so that numpy broadcasting gives the same result.
class LegacyBroadcast {
 public:
  explicit LegacyBroadcast(const KernelInit& init)
      : legacy_(init.opset < 7 && init.node.attrs.get_int("broadcast", 0) != 0),
        axis_(init.node.attrs.has("axis") ? init.node.attrs.get_int("axis") : -1) {}
  Shape b_shape(const Shape& a, const Shape& b) const {
    if (!legacy_ || axis_ < 0) return b;
    int64_t trailing = static_cast<int64_t>(a.size()) - axis_ - static_cast<int64_t>(b.size());
    if (trailing < 0) fail("legacy broadcast: B of shape " + shape_to_string(b) + " does not fit A's shape " + shape_to_string(a) +
                           " at axis " + std::to_string(axis_));
    Shape out = b;
    out.insert(out.end(), static_cast<size_t>(trailing), 1);
    return out;
  }

 private:
  bool legacy_;
  int64_t axis_;
};

enum class Arith { Add, Sub, Mul, Div };

template <Arith kOp>
class ArithmeticKernel final : public Kernel {
 public:
  explicit ArithmeticKernel(const KernelInit& init) : legacy_(init) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    check_binary(in, true);
    if (in[0]->dtype() == DType::Bool) fail_unsupported("bool inputs");
    return {{in[0]->dtype(), broadcast_shapes(in[0]->shape(), legacy_.b_shape(in[0]->shape(), in[1]->shape()))}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor b = ctx.in(1).reshaped(legacy_.b_shape(a.shape(), ctx.in(1).shape()));
    Tensor& y = ctx.out(0);
    dispatch_numeric(a.dtype(), "arithmetic", [&]<typename T>() {
      using C = compute_t<T>;
      if constexpr (kOp == Arith::Div && std::is_integral_v<C>) {
        for (int64_t i = 0; i < b.numel(); ++i)
          if (b.data<T>()[i] == 0) fail("integer division by zero");
      }
      cpu::binary_map(a.data<T>(), a.shape(), b.data<T>(), b.shape(), y.data<T>(), y.shape(), &ctx.pool, [](T x, T z) {
        C p = static_cast<C>(x), q = static_cast<C>(z);
        if constexpr (std::is_integral_v<C> && kOp != Arith::Div) {
          // Unsigned arithmetic wraps on overflow like numpy instead of being undefined behaviour.
          using U = std::make_unsigned_t<decltype(p + q)>;
          U u = static_cast<U>(p), v = static_cast<U>(q);
          if constexpr (kOp == Arith::Add) return static_cast<T>(u + v);
          else if constexpr (kOp == Arith::Sub) return static_cast<T>(u - v);
          else return static_cast<T>(u * v);
        } else if constexpr (kOp == Arith::Add) return static_cast<T>(p + q);
        else if constexpr (kOp == Arith::Sub) return static_cast<T>(p - q);
        else if constexpr (kOp == Arith::Mul) return static_cast<T>(p * q);
        else if constexpr (std::is_signed_v<C> && std::is_integral_v<C>)
          // The one overflowing quotient (lowest / -1) wraps as numpy's does instead of trapping.
          return static_cast<T>(q == C(-1) ? static_cast<C>(0 - static_cast<std::make_unsigned_t<C>>(p)) : static_cast<C>(p / q));
        else return static_cast<T>(p / q);
      });
    });
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    return cuda_float(in[0].dtype) && in[1].dtype == in[0].dtype;
  }
  void compute_cuda(KernelContext& ctx) const override {
    constexpr cuda::BinaryOp kCudaOp = kOp == Arith::Add   ? cuda::BinaryOp::Add
                                       : kOp == Arith::Sub ? cuda::BinaryOp::Sub
                                       : kOp == Arith::Mul ? cuda::BinaryOp::Mul
                                                           : cuda::BinaryOp::Div;
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    const Shape b_shape = legacy_.b_shape(a.shape(), b.shape());
    cuda::launch_binary(kCudaOp, a.dtype(), a.raw(), a.shape(), b.raw(), b_shape, ctx.out(0).raw(), ctx.out(0).shape(),
                        stream_of(ctx));
  }
#endif

 private:
  LegacyBroadcast legacy_;
};

// Pow: the exponent may have another dtype than the base; the result has the base's.
class PowKernel final : public Kernel {
 public:
  explicit PowKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape s = check_binary(in, false);
    if (in[0]->dtype() == DType::Bool || in[1]->dtype() == DType::Bool) fail_unsupported("bool inputs");
    return {{in[0]->dtype(), s}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    Tensor& y = ctx.out(0);
    dispatch_numeric(a.dtype(), "Pow", [&]<typename T>() {
      dispatch_numeric(b.dtype(), "Pow", [&]<typename E>() {
        cpu::binary_map(a.data<T>(), a.shape(), b.data<E>(), b.shape(), y.data<T>(), y.shape(), &ctx.pool, [](T x, E e) {
          using C = compute_t<T>;
          double r = std::pow(static_cast<double>(static_cast<C>(x)), static_cast<double>(static_cast<compute_t<E>>(e)));
          if constexpr (std::is_integral_v<C>) return static_cast<T>(static_cast<int64_t>(r));
          else return static_cast<T>(static_cast<C>(r));
        });
      });
    });
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    return cuda_float(in[0].dtype) && in[1].dtype == in[0].dtype;
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    cuda::launch_binary(cuda::BinaryOp::Pow, a.dtype(), a.raw(), a.shape(), b.raw(), b.shape(), ctx.out(0).raw(),
                        ctx.out(0).shape(), stream_of(ctx));
  }
#endif
};

// Mod: fmod=1 is C's fmod (sign of the dividend); fmod=0 (integers only) takes the divisor's sign.
class ModKernel final : public Kernel {
 public:
  explicit ModKernel(const KernelInit& init) : fmod_(init.node.attrs.get_int("fmod", 0) != 0) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape s = check_binary(in, true);
    if (in[0]->dtype() == DType::Bool) fail_unsupported("bool inputs");
    if (dtype_is_float(in[0]->dtype()) && !fmod_) fail("floating-point Mod requires fmod=1");
    return {{in[0]->dtype(), s}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    Tensor& y = ctx.out(0);
    dispatch_numeric(a.dtype(), "Mod", [&]<typename T>() {
      using C = compute_t<T>;
      if constexpr (std::is_integral_v<C>) {
        for (int64_t i = 0; i < b.numel(); ++i)
          if (b.data<T>()[i] == 0) fail("integer modulo by zero");
      }
      const bool fmod = fmod_;
      cpu::binary_map(a.data<T>(), a.shape(), b.data<T>(), b.shape(), y.data<T>(), y.shape(), &ctx.pool, [fmod](T x, T z) {
        C p = static_cast<C>(x), q = static_cast<C>(z);
        if constexpr (std::is_integral_v<C>) {
          C r = 0;
          if constexpr (std::is_signed_v<C>) r = q == C(-1) ? C(0) : static_cast<C>(p % q);  // lowest % -1 traps
          else r = static_cast<C>(p % q);
          if constexpr (std::is_signed_v<C>)
            if (!fmod && r != 0 && ((r < 0) != (q < 0))) r = static_cast<C>(r + q);
          return static_cast<T>(r);
        } else {
          return static_cast<T>(std::fmod(p, q));
        }
      });
    });
  }

 private:
  bool fmod_;
};

class BitShiftKernel final : public Kernel {
 public:
  explicit BitShiftKernel(const KernelInit& init) {
    std::string dir = init.node.attrs.get_string("direction", "");
    if (dir != "LEFT" && dir != "RIGHT") fail("direction must be LEFT or RIGHT, got '" + dir + "'");
    left_ = dir == "LEFT";
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape s = check_binary(in, true);
    if (!dtype_is_unsigned_int(in[0]->dtype())) fail_unsupported(std::string("BitShift on ") + dtype_name(in[0]->dtype()));
    return {{in[0]->dtype(), s}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    Tensor& y = ctx.out(0);
    dispatch_numeric(a.dtype(), "BitShift", [&]<typename T>() {
      if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
        const bool left = left_;
        cpu::binary_map(a.data<T>(), a.shape(), b.data<T>(), b.shape(), y.data<T>(), y.shape(), &ctx.pool, [left](T x, T n) {
          if (n >= sizeof(T) * 8) return T(0);  // shifting out every bit (and no undefined behaviour)
          return static_cast<T>(left ? x << n : x >> n);
        });
      }
    });
  }

 private:
  bool left_ = true;
};

enum class Logic { And, Or, Xor };

template <Logic kOp>
class LogicKernel final : public Kernel {
 public:
  explicit LogicKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape s = check_binary(in, true);
    if (in[0]->dtype() != DType::Bool) fail(std::string("expects bool inputs, got ") + dtype_name(in[0]->dtype()));
    return {{DType::Bool, s}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    Tensor& y = ctx.out(0);
    cpu::binary_map(a.data<bool>(), a.shape(), b.data<bool>(), b.shape(), y.data<bool>(), y.shape(), &ctx.pool, [](bool p, bool q) {
      if constexpr (kOp == Logic::And) return p && q;
      else if constexpr (kOp == Logic::Or) return p || q;
      else return p != q;
    });
  }
};

enum class Compare { Equal, Less, Greater, LessOrEqual, GreaterOrEqual };

template <Compare kOp>
class CompareKernel final : public Kernel {
 public:
  explicit CompareKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape s = check_binary(in, true);
    if (kOp != Compare::Equal && in[0]->dtype() == DType::Bool) fail_unsupported("ordering comparison of bool inputs");
    return {{DType::Bool, s}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor &a = ctx.in(0), &b = ctx.in(1);
    Tensor& y = ctx.out(0);
    dispatch_dtype(a.dtype(), [&]<typename T>() {
      using C = compute_t<T>;
      cpu::binary_map(a.data<T>(), a.shape(), b.data<T>(), b.shape(), y.data<bool>(), y.shape(), &ctx.pool, [](T x, T z) {
        C p = static_cast<C>(x), q = static_cast<C>(z);
        if constexpr (kOp == Compare::Equal) return p == q;
        else if constexpr (kOp == Compare::Less) return p < q;
        else if constexpr (kOp == Compare::Greater) return p > q;
        else if constexpr (kOp == Compare::LessOrEqual) return p <= q;
        else return p >= q;
      });
    });
  }
};

using AddKernel = ArithmeticKernel<Arith::Add>;
using SubKernel = ArithmeticKernel<Arith::Sub>;
using MulKernel = ArithmeticKernel<Arith::Mul>;
using DivKernel = ArithmeticKernel<Arith::Div>;
using AndKernel = LogicKernel<Logic::And>;
using OrKernel = LogicKernel<Logic::Or>;
using XorKernel = LogicKernel<Logic::Xor>;
using EqualKernel = CompareKernel<Compare::Equal>;
using LessKernel = CompareKernel<Compare::Less>;
using GreaterKernel = CompareKernel<Compare::Greater>;
using LessOrEqualKernel = CompareKernel<Compare::LessOrEqual>;
using GreaterOrEqualKernel = CompareKernel<Compare::GreaterOrEqual>;

}  // namespace

LRE_CPU_KERNEL(Add, AddKernel);
LRE_CPU_KERNEL(Sub, SubKernel);
LRE_CPU_KERNEL(Mul, MulKernel);
LRE_CPU_KERNEL(Div, DivKernel);
LRE_CPU_KERNEL(Pow, PowKernel);
LRE_CPU_KERNEL(Mod, ModKernel);
LRE_CPU_KERNEL(BitShift, BitShiftKernel);
LRE_CPU_KERNEL(And, AndKernel);
LRE_CPU_KERNEL(Or, OrKernel);
LRE_CPU_KERNEL(Xor, XorKernel);
LRE_CPU_KERNEL(Equal, EqualKernel);
LRE_CPU_KERNEL(Less, LessKernel);
LRE_CPU_KERNEL(Greater, GreaterKernel);
LRE_CPU_KERNEL(LessOrEqual, LessOrEqualKernel);
LRE_CPU_KERNEL(GreaterOrEqual, GreaterOrEqualKernel);

}  // namespace lre
