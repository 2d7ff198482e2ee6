// GridSample (opset 16): 4-D input and grid checks, mode and padding attributes. The sampling
// itself is cpu::grid_sample_2d.
#include "core/dispatch.h"
#include "kernels/cpu/grid_sample.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class GridSampleKernel final : public Kernel {
 public:
  explicit GridSampleKernel(const KernelInit& init) {
    const Attributes& a = init.node.attrs;
    std::string mode = a.get_string("mode", "bilinear");
    if (mode == "bilinear" || mode == "linear") p_.mode = cpu::GridSampleMode::Bilinear;
    else if (mode == "nearest") p_.mode = cpu::GridSampleMode::Nearest;
    else if (mode == "bicubic" || mode == "cubic") p_.mode = cpu::GridSampleMode::Bicubic;
    else fail("mode '" + mode + "' is not one of bilinear, nearest, bicubic");
    std::string pad = a.get_string("padding_mode", "zeros");
    if (pad == "zeros") p_.padding = cpu::GridSamplePadding::Zeros;
    else if (pad == "border") p_.padding = cpu::GridSamplePadding::Border;
    else if (pad == "reflection") p_.padding = cpu::GridSamplePadding::Reflection;
    else fail("padding_mode '" + pad + "' is not one of zeros, border, reflection");
    p_.align_corners = a.get_int("align_corners", 0) != 0;
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("GridSample needs inputs X and grid");
    const Tensor &x = *in[0], &g = *in[1];
    if (x.rank() != 4) fail("X must be 4-D (N, C, H, W), got shape " + shape_to_string(x.shape()));
    if (g.rank() != 4 || g.dim(3) != 2 || g.dim(0) != x.dim(0))
      fail("grid must be (N, H_out, W_out, 2) with N = " + std::to_string(x.dim(0)) + ", got shape " +
           shape_to_string(g.shape()));
    if (!dtype_is_float(x.dtype()))
      fail_unsupported(std::string("GridSample supports float inputs, got ") + dtype_name(x.dtype()));
    if (g.dtype() != x.dtype())
      fail_unsupported(std::string("GridSample needs grid of X's dtype ") + dtype_name(x.dtype()) + ", got " +
                       dtype_name(g.dtype()));
    if (x.dim(2) * x.dim(3) == 0 && g.numel() > 0 && x.dim(1) > 0)
      fail("X has an empty spatial extent " + shape_to_string(x.shape()) + " to sample from");
    return {{x.dtype(), {x.dim(0), x.dim(1), g.dim(1), g.dim(2)}}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor &x = ctx.in(0), &g = ctx.in(1);
    Tensor& y = ctx.out(0);
    dispatch_float(x.dtype(), "GridSample", [&]<typename T>() {
      cpu::grid_sample_2d<T>(x.data<T>(), g.data<T>(), y.data<T>(), x.dim(0), x.dim(1), x.dim(2), x.dim(3), g.dim(1),
                             g.dim(2), p_, &ctx.pool);
    });
  }

 private:
  cpu::GridSampleParams p_;
};

}  // namespace

LRE_CPU_KERNEL(GridSample, GridSampleKernel);

}  // namespace lre
