// NonZero and Compress: ops whose output size depends on the data, so the engine infers their
// shapes again on every run. Compress keeps the positions where condition is true (a Gather).
#include "kernels/cpu/gather.h"
#include "kernels/cpu/select.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

namespace lre {

namespace {

class NonZeroKernel final : public Kernel {
 public:
  explicit NonZeroKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "NonZero input");
    const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(x.rank()));
    return {{DType::Int64, {rank, cpu::count_nonzero(x.dtype(), x.raw(), x.numel())}}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    cpu::nonzero(x.dtype(), x.raw(), x.shape(), y.dim(1), y.data<int64_t>());
  }
  bool data_dependent_shape() const override { return true; }
};

class CompressKernel final : public Kernel {
 public:
  explicit CompressKernel(const KernelInit& init)
      : has_axis_(init.node.attrs.has("axis")), axis_(init.node.attrs.get_int("axis", 0)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Compress input");
    Plan p = plan(x, required_input(in, 1, "Compress input 'condition'"));
    Shape out{static_cast<int64_t>(p.kept.size())};
    if (has_axis_) {
      out = x.shape();
      out[p.axis] = static_cast<int64_t>(p.kept.size());
    }
    return {{x.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Plan p = plan(x, ctx.in(1));
    int64_t outer = 1, inner = 1, dim = x.numel();
    if (has_axis_) {
      dim = x.dim(p.axis);
      for (size_t d = 0; d < x.rank(); ++d) {
        if (d < p.axis) outer *= x.dim(d);
        if (d > p.axis) inner *= x.dim(d);
      }
    }
    cpu::gather(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), outer, dim, inner, {p.kept.data(), true},
                static_cast<int64_t>(p.kept.size()), &ctx.pool);
  }
  bool data_dependent_shape() const override { return true; }

 private:
  struct Plan {
    size_t axis = 0;
    std::vector<int64_t> kept;  // positions along the axis (or the flattened input) to keep
  };
  Plan plan(const Tensor& x, const Tensor& cond) const {
    if (cond.dtype() != DType::Bool || cond.rank() != 1)
      fail("Compress condition must be a 1-D bool tensor, got " + std::string(dtype_name(cond.dtype())) + " " + shape_to_string(cond.shape()));
    Plan p;
    int64_t dim = x.numel();
    if (has_axis_) {
      if (x.rank() == 0) fail("Compress with an axis needs an input of rank 1 or more, got a scalar");
      p.axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(x.rank()), "Compress axis"));
      dim = x.dim(p.axis);
    }
    const bool* c = cond.data<bool>();
    for (int64_t i = 0; i < cond.numel(); ++i) {
      if (!c[i]) continue;
      if (i >= dim)
        fail("Compress condition selects position " + std::to_string(i) + ", beyond the " + std::to_string(dim) +
             " positions of the input along the axis");
      p.kept.push_back(i);
    }
    return p;
  }
  bool has_axis_;
  int64_t axis_;
};

}  // namespace

LRE_CPU_KERNEL(NonZero, NonZeroKernel);
LRE_CPU_KERNEL(Compress, CompressKernel);

}  // namespace lre
