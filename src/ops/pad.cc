// Pad: pads (and the constant value) are attributes before opset 11 and inputs from then on; opset
// 18 adds the axes input. Modes constant, reflect, edge, and wrap (opset 19); negative pads crop.
#include <cstring>

#include "core/dispatch.h"
#include "kernels/cpu/pad.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

namespace lre {

namespace {

class PadKernel final : public Kernel {
 public:
  explicit PadKernel(const KernelInit& init)
      : from_inputs_(init.opset >= 11),
        pads_attr_(init.opset < 11 ? init.node.attrs.get_ints("pads") : std::vector<int64_t>{}),
        value_attr_(init.opset < 11 ? init.node.attrs.get_float("value", 0.0f) : 0.0f) {
    std::string mode = init.node.attrs.get_string("mode", "constant");
    if (mode == "constant") mode_ = cpu::PadMode::Constant;
    else if (mode == "reflect") mode_ = cpu::PadMode::Reflect;
    else if (mode == "edge") mode_ = cpu::PadMode::Edge;
    else if (mode == "wrap") mode_ = cpu::PadMode::Wrap;
    else fail("Pad mode must be constant, reflect, edge or wrap, got '" + mode + "'");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Pad input 'data'");
    return {{x.dtype(), layout(in, x).out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Layout l = layout(ctx.inputs, x);
    alignas(8) unsigned char value[8] = {};
    if (from_inputs_ && ctx.has_input(2)) {
      const Tensor& v = ctx.in(2);
      if (v.dtype() != x.dtype() || v.numel() != 1)
        fail(std::string("Pad constant_value must be one ") + dtype_name(x.dtype()) + " element, got " + dtype_name(v.dtype()) + " " +
             shape_to_string(v.shape()));
      std::memcpy(value, v.raw(), dtype_size(x.dtype()));
    } else {
      dispatch_dtype(x.dtype(), [&]<typename T>() {
        T t = static_cast<T>(static_cast<compute_t<T>>(value_attr_));
        std::memcpy(value, &t, sizeof(T));
      });
    }
    cpu::pad(x.raw(), x.shape(), ctx.out(0).raw(), l.out, l.begin, mode_, value, dtype_size(x.dtype()), &ctx.pool);
  }
  std::vector<int> shape_value_inputs() const override {
    if (from_inputs_) return {1, 3};
    return {};
  }

 private:
  struct Layout {
    Shape out;
    std::vector<int64_t> begin;
  };
  Layout layout(std::span<const Tensor* const> in, const Tensor& x) const {
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> pads = from_inputs_ ? read_int_values(required_input(in, 1, "Pad input 'pads'"), "Pad pads") : pads_attr_;
    std::vector<int64_t> axes;
    if (from_inputs_ && in.size() > 3 && in[3]) axes = normalize_axes(read_int_values(*in[3], "Pad axes"), rank, "Pad axes");
    else
      for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
    const size_t n = axes.size();
    if (pads.size() != 2 * n)
      fail("Pad pads has " + std::to_string(pads.size()) + " entries, expected " + std::to_string(2 * n) + " (begin and end for each of " +
           std::to_string(n) + " axes)");
    Layout l{x.shape(), std::vector<int64_t>(static_cast<size_t>(rank), 0)};
    for (size_t i = 0; i < n; ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      const int64_t b = pads[i], e = pads[i + n];
      l.begin[a] = b;
      l.out[a] = x.dim(a) + b + e;
      if (l.out[a] < 0)
        fail("Pad pads " + shape_to_string(pads) + " crop axis " + std::to_string(a) + " of " + shape_to_string(x.shape()) +
             " below size 0");
      if (mode_ != cpu::PadMode::Constant && x.dim(a) == 0 && (b > 0 || e > 0))
        fail("Pad cannot pad the empty axis " + std::to_string(a) + " of " + shape_to_string(x.shape()) + " in a mode other than constant");
    }
    return l;
  }

  bool from_inputs_;
  std::vector<int64_t> pads_attr_;
  float value_attr_;
  cpu::PadMode mode_ = cpu::PadMode::Constant;
};

}  // namespace

LRE_CPU_KERNEL(Pad, PadKernel);

}  // namespace lre
