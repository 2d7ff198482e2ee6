// Pad: pads (and the constant value) are attributes before opset 11 and inputs from then on; opset
// 18 adds the axes input. Modes constant, reflect, edge, and wrap (opset 19); negative pads crop.
#include <cstring>

#include "core/dispatch.h"
#include "kernels/cpu/cast.h"
#include "kernels/cpu/pad.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/pad.cuh"
#include "ops/cuda_op_util.h"
#endif

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
    constant_value(ctx.inputs, x.dtype(), value);
    cpu::pad(x.raw(), x.shape(), ctx.out(0).raw(), l.out, l.begin, mode_, value, dtype_size(x.dtype()), &ctx.pool);
  }
  // constant_value too: it is read on the host, so the device never waits for it.
  std::vector<int> shape_value_inputs() const override {
    if (from_inputs_) return {1, 2, 3};
    return {};
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const std::vector<const Tensor*> host = shape_rule_inputs(ctx);
    const Layout l = layout(host, x);
    alignas(8) unsigned char value[8] = {};
    constant_value(host, x.dtype(), value);
    if (ctx.out(0).numel() == 0) return;
    cuda::launch_pad(dtype_size(x.dtype()), static_cast<cuda::PadMode>(mode_), x.raw(), x.shape(), l.begin, ctx.out(0).raw(),
                     l.out, value, stream_of(ctx));
  }
#endif

 private:
  // The padding value as `dtype` bytes: the constant_value input (opset 11+) or the attribute.
  // On the host, in the logical dtype; under reduced precision the device wants the storage one.
  void constant_value(std::span<const Tensor* const> in, DType dtype, unsigned char* value) const {
    if (from_inputs_ && in.size() > 2 && in[2]) {
      const Tensor& v = *in[2];
      if (v.numel() != 1 || (v.dtype() != dtype && !(dtype_is_float(v.dtype()) && dtype_is_float(dtype))))
        fail(std::string("Pad constant_value must be one ") + dtype_name(dtype) + " element, got " + dtype_name(v.dtype()) + " " +
             shape_to_string(v.shape()));
      cpu::cast(v.raw(), v.dtype(), value, dtype, 1, nullptr);
      return;
    }
    dispatch_dtype(dtype, [&]<typename T>() {
      T t = static_cast<T>(static_cast<compute_t<T>>(value_attr_));
      std::memcpy(value, &t, sizeof(T));
    });
  }

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
