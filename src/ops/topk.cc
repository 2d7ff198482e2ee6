// TopK: k from the attribute (opset < 10) or the K input (opset 10+); largest and sorted from
// opset 11. Results are always sorted (sorted=0 leaves the order free, so sorted is a valid one).
#include "core/dispatch.h"
#include "kernels/cpu/topk.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class TopKKernel final : public Kernel {
 public:
  explicit TopKKernel(const KernelInit& init)
      : k_input_(init.opset >= 10),
        k_attr_(k_input_ ? 0 : init.node.attrs.get_int("k")),
        axis_(init.node.attrs.get_int("axis", -1)),
        largest_(init.node.attrs.get_int("largest", 1) != 0) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("TopK needs input X");
    if (k_input_ && (in.size() < 2 || !in[1])) fail("TopK from opset 10 needs input K");
    const Tensor& x = *in[0];
    if (x.dtype() == DType::Bool) throw_unsupported_dtype(DType::Bool, "TopK");
    if (x.rank() == 0) fail("TopK needs X of rank 1 or more");
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    const int64_t k = k_of(in);
    if (k < 0 || k > x.dim(static_cast<size_t>(axis)))
      fail("TopK: k = " + std::to_string(k) + " is outside [0, " + std::to_string(x.dim(static_cast<size_t>(axis))) +
           "], the length of axis " + std::to_string(axis_) + " of X " + shape_to_string(x.shape()));
    Shape out = x.shape();
    out[static_cast<size_t>(axis)] = k;
    return {{x.dtype(), out}, {DType::Int64, out}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Shape& s = x.shape();
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(s.size()));
    const auto [outer, n, inner] = split_at_axis(s, axis);
    const int64_t k = k_of(ctx.inputs);
    // The kernel writes both results; one the model does not want goes to a scratch tensor.
    Shape out = s;
    out[static_cast<size_t>(axis)] = k;
    Tensor values = ctx.has_output(0) ? ctx.out(0) : Tensor(x.dtype(), out);
    Tensor indices = ctx.has_output(1) ? ctx.out(1) : Tensor(DType::Int64, out);
    dispatch_numeric(x.dtype(), "TopK", [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>)
        cpu::topk(x.data<T>(), values.data<T>(), indices.data<int64_t>(), outer, n, inner, k, largest_, &ctx.pool);
    });
  }

  std::vector<int> shape_value_inputs() const override { return k_input_ ? std::vector<int>{1} : std::vector<int>{}; }

 private:
  int64_t k_of(std::span<const Tensor* const> in) const {
    if (!k_input_) return k_attr_;
    std::vector<int64_t> k = read_int_values(*in[1], "TopK K");
    if (k.size() != 1) fail("TopK: K must hold one value, got shape " + shape_to_string(in[1]->shape()));
    return k[0];
  }

  bool k_input_;  // opset 10+
  int64_t k_attr_;
  int64_t axis_;
  bool largest_;
};

}  // namespace

LRE_CPU_KERNEL(TopK, TopKKernel);

}  // namespace lre
