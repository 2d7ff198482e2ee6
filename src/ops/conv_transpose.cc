// ConvTranspose: the gradient of Conv with respect to its input, used as learned upsampling.
// Output sizes follow from strides, output_padding and pads, or from output_shape / auto_pad
// (which then decide the padding). Arithmetic in kernels/cpu/conv; non-float32 types via float32.
#include <algorithm>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/conv.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#include "ops/window_attrs.h"

namespace lre {

namespace {

template <typename T>
std::vector<float> to_float(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<float>(t.data<T>()[i]);
  return out;
}

class ConvTransposeKernel final : public Kernel {
 public:
  explicit ConvTransposeKernel(const KernelInit& init)
      : attrs_(WindowAttrs::parse(init.node.attrs, "ConvTranspose")),
        group_(init.node.attrs.get_int("group", 1)),
        output_padding_(init.node.attrs.get_ints("output_padding")),
        output_shape_(init.node.attrs.get_ints("output_shape")) {
    if (group_ <= 0) fail("ConvTranspose: group must be positive, got " + std::to_string(group_));
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("ConvTranspose needs inputs X and W");
    const Tensor& x = *in[0];
    const Tensor& w = *in[1];
    if (w.dtype() != x.dtype()) fail("ConvTranspose: X and W must share one dtype");
    if (x.dtype() != DType::Float32 && x.dtype() != DType::Float16 && x.dtype() != DType::BFloat16 &&
        x.dtype() != DType::Float64)
      throw_unsupported_dtype(x.dtype(), "ConvTranspose");
    cpu::WindowGeometry g = geometry(x, w);
    int64_t m = w.dim(1) * group_;
    if (in.size() > 2 && in[2] && (in[2]->rank() != 1 || in[2]->dim(0) != m || in[2]->dtype() != x.dtype()))
      fail("ConvTranspose: B must be 1-D of the output channel count " + std::to_string(m) + ", got shape " +
           shape_to_string(in[2]->shape()));
    Shape out{x.dim(0), m};
    out.insert(out.end(), g.in.begin(), g.in.end());
    return {{x.dtype(), out}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& w = ctx.in(1);
    const Tensor* b = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    Tensor& y = ctx.out(0);
    cpu::WindowGeometry g = geometry(x, w);
    if (y.numel() == 0) return;
    int64_t m = w.dim(1) * group_;
    dispatch_float(x.dtype(), "ConvTranspose", [&]<typename T>() {
      if constexpr (std::is_same_v<T, float>) {
        cpu::conv_transpose_f32(x.data<float>(), w.data<float>(), b ? b->data<float>() : nullptr, y.data<float>(),
                                x.dim(0), x.dim(1), m, group_, g, &ctx.pool);
      } else {
        std::vector<float> xf = to_float<T>(x), wf = to_float<T>(w), bf = b ? to_float<T>(*b) : std::vector<float>();
        std::vector<float> yf(static_cast<size_t>(y.numel()));
        cpu::conv_transpose_f32(xf.data(), wf.data(), b ? bf.data() : nullptr, yf.data(), x.dim(0), x.dim(1), m,
                                group_, g, &ctx.pool);
        for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = static_cast<T>(yf[i]);
      }
    });
  }

 private:
  // The geometry of the equivalent Conv: g.in is this op's output, g.out its input.
  cpu::WindowGeometry geometry(const Tensor& x, const Tensor& w) const {
    if (x.rank() < 3) fail("ConvTranspose: X must be (N, C, spatial...), got shape " + shape_to_string(x.shape()));
    if (w.rank() != x.rank())
      fail("ConvTranspose: W " + shape_to_string(w.shape()) + " must have the rank of X " + shape_to_string(x.shape()));
    if (w.dim(0) != x.dim(1))
      fail("ConvTranspose: X has " + std::to_string(x.dim(1)) + " channels but W " + shape_to_string(w.shape()) +
           " expects " + std::to_string(w.dim(0)));
    if (x.dim(1) % group_ != 0)
      fail("ConvTranspose: " + std::to_string(x.dim(1)) + " input channels do not divide into " +
           std::to_string(group_) + " groups");
    const size_t rank = x.rank() - 2;
    cpu::WindowGeometry g;
    g.kernel.assign(w.shape().begin() + 2, w.shape().end());
    if (!attrs_.kernel.empty() && attrs_.kernel != g.kernel)
      fail("ConvTranspose: kernel_shape " + shape_to_string(attrs_.kernel) + " differs from W's spatial shape " +
           shape_to_string(g.kernel));
    std::vector<int64_t> pads;
    check_window_lists(attrs_, rank, g.strides, g.dilations, pads, "ConvTranspose");
    std::vector<int64_t> adj = output_padding_.empty() ? std::vector<int64_t>(rank, 0) : output_padding_;
    if (adj.size() != rank)
      fail("ConvTranspose: output_padding " + shape_to_string(adj) + " does not match " + std::to_string(rank) +
           " spatial dimensions");
    std::vector<int64_t> target = output_shape_;
    if (target.size() == rank + 2) target.erase(target.begin(), target.begin() + 2);
    if (!target.empty() && target.size() != rank)
      fail("ConvTranspose: output_shape " + shape_to_string(output_shape_) + " does not match " +
           std::to_string(rank) + " spatial dimensions");
    g.out.assign(x.shape().begin() + 2, x.shape().end());
    g.in.resize(rank);
    g.pads_begin.resize(rank);
    g.pads_end.resize(rank);
    const bool same = attrs_.auto_pad == "SAME_UPPER" || attrs_.auto_pad == "SAME_LOWER";
    for (size_t d = 0; d < rank; ++d) {
      const int64_t in = g.out[d], s = g.strides[d];
      if (adj[d] < 0 || adj[d] >= std::max(s, g.dilations[d]))
        fail("ConvTranspose: output_padding " + shape_to_string(adj) + " must be below the stride or dilation");
      const int64_t full = s * (in - 1) + adj[d] + (g.kernel[d] - 1) * g.dilations[d] + 1;
      int64_t pb = pads[d], pe = pads[d + rank];
      if (!target.empty() || same) {
        int64_t out = target.empty() ? in * s : target[d];
        int64_t total = std::max<int64_t>(0, full - out);
        // SAME_UPPER keeps the odd padding at the end, as for Conv; otherwise at the start.
        pb = attrs_.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pe = total - pb;
        g.in[d] = out;
      } else {
        if (attrs_.auto_pad == "VALID") pb = pe = 0;
        g.in[d] = full - pb - pe;
      }
      if (g.in[d] < 0) fail("ConvTranspose: pads " + shape_to_string(pads) + " leave a negative output size");
      g.pads_begin[d] = pb;
      g.pads_end[d] = pe;
    }
    return g;
  }

  WindowAttrs attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_, output_shape_;
};

}  // namespace

LRE_CPU_KERNEL(ConvTranspose, ConvTransposeKernel);

}  // namespace lre
