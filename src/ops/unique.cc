// Unique (opset 11): distinct elements, or distinct slices along `axis`, with their first
// indices, the inverse mapping and counts. The output size depends on the data, so shapes are
// inferred on every run.
#include "core/dispatch.h"
#include "kernels/cpu/unique.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class UniqueKernel final : public Kernel {
 public:
  explicit UniqueKernel(const KernelInit& init)
      : has_axis_(init.node.attrs.has("axis")),
        axis_(init.node.attrs.get_int("axis", 0)),
        sorted_(init.node.attrs.get_int("sorted", 1) != 0) {}

  bool data_dependent_shape() const override { return true; }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("Unique needs input X");
    const Tensor& x = *in[0];
    View v = view(x);
    const int64_t u = static_cast<int64_t>(groups(x, v).first.size());
    Shape y = {u};
    if (has_axis_) {
      y = x.shape();
      y[static_cast<size_t>(v.axis)] = u;
    }
    return {{x.dtype(), y}, {DType::Int64, {u}}, {DType::Int64, {v.n}}, {DType::Int64, {u}}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    View v = view(x);
    cpu::UniqueGroups g = groups(x, v);
    const int64_t u = static_cast<int64_t>(g.first.size());
    if (ctx.has_output(0))
      cpu::gather_slices(x.raw(), static_cast<int64_t>(dtype_size(x.dtype())), v.outer, v.n, v.inner, g.first.data(), u,
                         ctx.out(0).raw());
    auto write = [&](size_t i, const std::vector<int64_t>& values) {
      if (ctx.has_output(i)) std::copy(values.begin(), values.end(), ctx.out(i).data<int64_t>());
    };
    write(1, g.first);
    write(2, g.inverse);
    write(3, g.counts);
  }

 private:
  struct View {
    int64_t outer = 1, n = 0, inner = 1, axis = 0;
  };
  View view(const Tensor& x) const {
    View v;
    if (!has_axis_) {
      v.n = x.numel();
      return v;
    }
    if (x.rank() == 0) fail("Unique: axis is given but X is a scalar");
    const int64_t rank = static_cast<int64_t>(x.rank());
    v.axis = normalize_axis(axis_, rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (d < v.axis)
        v.outer *= x.dim(static_cast<size_t>(d));
      else if (d > v.axis)
        v.inner *= x.dim(static_cast<size_t>(d));
    }
    v.n = x.dim(static_cast<size_t>(v.axis));
    return v;
  }
  cpu::UniqueGroups groups(const Tensor& x, const View& v) const {
    return dispatch_dtype(
        x.dtype(), [&]<typename T>() { return cpu::unique_slices<T>(x.data<T>(), v.outer, v.n, v.inner, sorted_); });
  }

  bool has_axis_;
  int64_t axis_;
  bool sorted_;
};

}  // namespace

LRE_CPU_KERNEL(Unique, UniqueKernel);

}  // namespace lre
