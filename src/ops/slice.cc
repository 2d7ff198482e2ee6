// Slice: starts/ends/axes attributes before opset 10; inputs starts, ends, axes and steps from 10.
// Bounds are clamped as the spec says (huge values such as INT64_MAX mean "to the end"), negative
// steps walk backwards, and the result is one strided copy of the input.
#include <algorithm>

#include "kernels/cpu/strided_copy.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/strided_copy.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

struct SliceView {
  Shape shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

class SliceKernel final : public Kernel {
 public:
  explicit SliceKernel(const KernelInit& init)
      : from_inputs_(init.opset >= 10),
        starts_(init.node.attrs, "starts", init.opset, 10, 1),
        ends_(init.node.attrs, "ends", init.opset, 10, 2),
        axes_(init.node.attrs, "axes", init.opset, 10, 3) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Slice input 'data'");
    return {{x.dtype(), view(in, x).shape}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    SliceView v = view(ctx.inputs, x);
    cpu::strided_copy(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), v.shape, v.strides, v.offset, &ctx.pool);
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const SliceView v = view(shape_rule_inputs(ctx), x);
    if (ctx.out(0).numel() == 0) return;
    cuda::launch_strided_copy(dtype_size(x.dtype()), x.raw(), v.offset, v.strides, ctx.out(0).raw(), v.shape,
                              stream_of(ctx), "Slice");
  }
#endif
  std::vector<int> shape_value_inputs() const override {
    if (from_inputs_) return {1, 2, 3, 4};
    return {};
  }

 private:
  SliceView view(std::span<const Tensor* const> in, const Tensor& x) const {
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> starts, ends, axes, steps;
    if (!starts_.get(in, "Slice starts", starts)) fail("Slice needs starts");
    if (!ends_.get(in, "Slice ends", ends)) fail("Slice needs ends");
    if (!axes_.get(in, "Slice axes", axes))
      for (int64_t a = 0; a < static_cast<int64_t>(starts.size()); ++a) axes.push_back(a);
    if (from_inputs_ && in.size() > 4 && in[4]) steps = read_int_values(*in[4], "Slice steps");
    else steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      fail("Slice starts, ends, axes and steps must have the same length, got " + std::to_string(starts.size()) + ", " +
           std::to_string(ends.size()) + ", " + std::to_string(axes.size()) + ", " + std::to_string(steps.size()));
    axes = normalize_axes(axes, rank, "Slice axes");

    SliceView v{x.shape(), strides_of(x.shape()), 0};
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      const int64_t n = x.dim(a), step = steps[i];
      if (step == 0 || step == INT64_MIN) fail("Slice step for axis " + std::to_string(a) + " is " + std::to_string(step));
      int64_t s = starts[i] < 0 ? starts[i] + n : starts[i];
      int64_t e = ends[i] < 0 ? ends[i] + n : ends[i];
      int64_t len = 0;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, n);
        e = std::clamp<int64_t>(e, 0, n);
        len = e > s ? (e - s - 1) / step + 1 : 0;
      } else if (n > 0) {
        s = std::clamp<int64_t>(s, 0, n - 1);
        e = std::clamp<int64_t>(e, -1, n - 1);
        len = s > e ? (s - e - 1) / -step + 1 : 0;
      }
      if (len > 0) v.offset += s * v.strides[a];
      v.shape[a] = len;
      v.strides[a] *= step;
    }
    return v;
  }

  bool from_inputs_;
  IntsAttrOrInput starts_, ends_, axes_;
};

}  // namespace

LRE_CPU_KERNEL(Slice, SliceKernel);

}  // namespace lre
