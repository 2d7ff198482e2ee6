// CumSum (opset 11, 14): running sums along the axis given as a scalar input, optionally exclusive
// and/or reversed. The output has the input's shape, so the axis value is read only when computing.
#include "core/dispatch.h"
#include "kernels/cpu/cumsum.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class CumSumKernel final : public Kernel {
 public:
  explicit CumSumKernel(const KernelInit& init)
      : exclusive_(init.node.attrs.get_int("exclusive", 0) != 0), reverse_(init.node.attrs.get_int("reverse", 0) != 0) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("CumSum needs inputs x and axis");
    const Tensor& x = *in[0];
    if (x.dtype() == DType::Bool) throw_unsupported_dtype(DType::Bool, "CumSum");
    if (x.rank() == 0) fail("CumSum needs x of rank 1 or more");
    axis_of(*in[1], x.rank());
    return {{x.dtype(), x.shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Shape& s = x.shape();
    const int64_t axis = axis_of(ctx.in(1), s.size());
    const auto [outer, n, inner] = split_at_axis(s, axis);
    dispatch_numeric(x.dtype(), "CumSum", [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>)
        cpu::cumsum(x.data<T>(), ctx.out(0).data<T>(), outer, n, inner, exclusive_, reverse_, &ctx.pool);
    });
  }

 private:
  static int64_t axis_of(const Tensor& t, size_t rank) {
    std::vector<int64_t> v = read_int_values(t, "CumSum axis");
    if (v.size() != 1) fail("CumSum: axis must hold one value, got shape " + shape_to_string(t.shape()));
    return normalize_axis(v[0], static_cast<int64_t>(rank));
  }

  bool exclusive_, reverse_;
};

}  // namespace

LRE_CPU_KERNEL(CumSum, CumSumKernel);

}  // namespace lre
