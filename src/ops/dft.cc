// DFT and STFT (opset 17): signal layout checks (a trailing axis of 1 for real, 2 for complex),
// dft_length / frame arguments and onesided output lengths. The transforms are cpu::dft/stft.
#include "core/dispatch.h"
#include "kernels/cpu/fft.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

int64_t read_one_int(const Tensor& t, const char* what) {
  std::vector<int64_t> v = read_int_values(t, what);
  if (v.size() != 1) fail(std::string(what) + " must hold one value, got shape " + shape_to_string(t.shape()));
  return v[0];
}

class DftKernel final : public Kernel {
 public:
  explicit DftKernel(const KernelInit& init) {
    const Attributes& a = init.node.attrs;
    axis_ = a.get_int("axis", 1);
    inverse_ = a.get_int("inverse", 0) != 0;
    onesided_ = a.get_int("onesided", 0) != 0;
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Geometry g = geometry(in);
    Shape out = in[0]->shape();
    out[static_cast<size_t>(g.axis)] = g.n_out;
    out.back() = 2;
    return {{in[0]->dtype(), out}};
  }

  void compute(KernelContext& ctx) const override {
    Geometry g = geometry(ctx.inputs);
    const Tensor& x = ctx.in(0);
    dispatch_float(x.dtype(), "DFT", [&]<typename T>() {
      cpu::dft<T>(x.data<T>(), ctx.out(0).data<T>(), g.outer, g.n_in, g.inner, g.channels, g.n_fft, g.n_out, inverse_,
                  &ctx.pool);
    });
  }

  std::vector<int> shape_value_inputs() const override { return {1, 2}; }

 private:
  struct Geometry {
    int64_t axis, outer = 1, n_in, inner = 1, channels, n_fft, n_out;
  };

  Geometry geometry(std::span<const Tensor* const> in) const {
    if (in.empty() || !in[0]) fail("DFT needs the input signal");
    const Tensor& x = *in[0];
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank < 2 || (x.shape().back() != 1 && x.shape().back() != 2))
      fail("DFT input must be (..., 1) for real or (..., 2) for complex signals, got shape " +
           shape_to_string(x.shape()));
    if (!dtype_is_float(x.dtype()))
      fail_unsupported(std::string("DFT supports float inputs, got ") + dtype_name(x.dtype()));
    Geometry g;
    g.channels = x.shape().back();
    int64_t axis = axis_;
    if (in.size() > 2 && in[2]) axis = read_one_int(*in[2], "axis");  // opset 20 moved axis to an input
    g.axis = normalize_axis(axis, rank - 1, "axis");
    for (int64_t d = 0; d < g.axis; ++d) g.outer *= x.dim(static_cast<size_t>(d));
    for (int64_t d = g.axis + 1; d < rank - 1; ++d) g.inner *= x.dim(static_cast<size_t>(d));
    g.n_in = x.dim(static_cast<size_t>(g.axis));
    g.n_fft = g.n_in;
    if (in.size() > 1 && in[1]) {
      g.n_fft = read_one_int(*in[1], "dft_length");
      if (g.n_fft <= 0) fail("dft_length must be positive, got " + std::to_string(g.n_fft));
    }
    if (onesided_ && g.channels == 2) fail("onesided DFT needs a real input (trailing axis 1), got a complex one");
    g.n_out = onesided_ ? g.n_fft / 2 + 1 : g.n_fft;
    return g;
  }

  int64_t axis_ = 1;
  bool inverse_ = false, onesided_ = false;
};

class StftKernel final : public Kernel {
 public:
  explicit StftKernel(const KernelInit& init) { onesided_ = init.node.attrs.get_int("onesided", 1) != 0; }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Geometry g = geometry(in);
    return {{in[0]->dtype(), {g.batch, g.frames, g.n_out, 2}}};
  }

  void compute(KernelContext& ctx) const override {
    Geometry g = geometry(ctx.inputs);
    const Tensor& s = ctx.in(0);
    const Tensor* window = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    dispatch_float(s.dtype(), "STFT", [&]<typename T>() {
      cpu::stft<T>(s.data<T>(), window ? window->data<T>() : nullptr, ctx.out(0).data<T>(), g.batch, g.length,
                   g.channels, g.step, g.frame_length, g.frames, g.n_out, &ctx.pool);
    });
  }

  std::vector<int> shape_value_inputs() const override { return {1, 3}; }

 private:
  struct Geometry {
    int64_t batch, length, channels, step, frame_length, frames, n_out;
  };

  Geometry geometry(std::span<const Tensor* const> in) const {
    if (in.size() < 2 || !in[0] || !in[1]) fail("STFT needs inputs signal and frame_step");
    const Tensor& s = *in[0];
    if (!((s.rank() == 3 && (s.dim(2) == 1 || s.dim(2) == 2)) || s.rank() == 2))
      fail("signal must be (batch, length, 1) for real or (batch, length, 2) for complex, got shape " +
           shape_to_string(s.shape()));
    if (!dtype_is_float(s.dtype()))
      fail_unsupported(std::string("STFT supports float signals, got ") + dtype_name(s.dtype()));
    Geometry g;
    g.batch = s.dim(0);
    g.length = s.dim(1);
    g.channels = s.rank() == 3 ? s.dim(2) : 1;
    g.step = read_one_int(*in[1], "frame_step");
    if (g.step <= 0) fail("frame_step must be positive, got " + std::to_string(g.step));
    const Tensor* window = in.size() > 2 ? in[2] : nullptr;
    const Tensor* length = in.size() > 3 ? in[3] : nullptr;
    if (window && (window->rank() != 1 || window->dtype() != s.dtype()))
      fail(std::string("window must be 1-D of the signal's dtype ") + dtype_name(s.dtype()) + ", got " +
           dtype_name(window->dtype()) + " " + shape_to_string(window->shape()));
    if (!window && !length) fail("STFT needs a window or a frame_length");
    g.frame_length = length ? read_one_int(*length, "frame_length") : window->dim(0);
    if (window && window->dim(0) != g.frame_length)
      fail("window length " + std::to_string(window->dim(0)) + " differs from frame_length " +
           std::to_string(g.frame_length));
    if (g.frame_length <= 0 || g.frame_length > g.length)
      fail("frame_length " + std::to_string(g.frame_length) + " must be in [1, signal length " +
           std::to_string(g.length) + "]");
    if (onesided_ && g.channels == 2) fail("onesided STFT needs a real signal, got a complex one");
    g.frames = (g.length - g.frame_length) / g.step + 1;
    g.n_out = onesided_ ? g.frame_length / 2 + 1 : g.frame_length;
    return g;
  }

  bool onesided_ = true;
};

}  // namespace

LRE_CPU_KERNEL(DFT, DftKernel);
LRE_CPU_KERNEL(STFT, StftKernel);

}  // namespace lre
