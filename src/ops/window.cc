// HannWindow, HammingWindow, BlackmanWindow and MelWeightMatrix (opset 17): generator ops whose
// scalar inputs fix the output shape and whose output dtype comes from output_datatype.
#include <cmath>

#include "core/dispatch.h"
#include "kernels/cpu/window.h"
#include "onnx/tensor_proto.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

int64_t read_int_scalar(const Tensor* t, const char* what) {
  if (!t) fail(std::string("the input ") + what + " is required");
  std::vector<int64_t> v = read_int_values(*t, what);
  if (v.size() != 1) fail(std::string(what) + " must hold one value, got shape " + shape_to_string(t->shape()));
  return v[0];
}

void write_values(const std::vector<double>& v, Tensor& out) {
  dispatch_numeric(out.dtype(), "output_datatype", [&]<typename T>() {
    T* p = out.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(static_cast<compute_t<T>>(v[i]));
  });
}

DType output_dtype(const KernelInit& init) {
  DType t = dtype_from_onnx(static_cast<int>(init.node.attrs.get_int("output_datatype", 1)), "output_datatype");
  if (t == DType::Bool) fail("output_datatype must be a numeric type, got bool");
  return t;
}

template <cpu::WindowKind kKind>
class WindowKernel final : public Kernel {
 public:
  explicit WindowKernel(const KernelInit& init) : dtype_(output_dtype(init)) {
    periodic_ = init.node.attrs.get_int("periodic", 1) != 0;
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override { return {{dtype_, {size(in)}}}; }

  void compute(KernelContext& ctx) const override {
    std::vector<double> v(static_cast<size_t>(size(ctx.inputs)));
    cpu::window_values(kKind, static_cast<int64_t>(v.size()), periodic_, v.data());
    write_values(v, ctx.out(0));
  }

  std::vector<int> shape_value_inputs() const override { return {0}; }

 private:
  static int64_t size(std::span<const Tensor* const> in) {
    int64_t n = read_int_scalar(in.empty() ? nullptr : in[0], "size");
    if (n < 0) fail("size must be >= 0, got " + std::to_string(n));
    return n;
  }

  DType dtype_;
  bool periodic_ = true;
};

class MelWeightMatrixKernel final : public Kernel {
 public:
  explicit MelWeightMatrixKernel(const KernelInit& init) : dtype_(output_dtype(init)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Args a = args(in);
    return {{dtype_, {a.dft_length / 2 + 1, a.num_mel_bins}}};
  }

  void compute(KernelContext& ctx) const override {
    Args a = args(ctx.inputs);
    std::vector<double> v(static_cast<size_t>((a.dft_length / 2 + 1) * a.num_mel_bins));
    cpu::mel_weight_matrix(a.num_mel_bins, a.dft_length, a.sample_rate, a.lower_hz, a.upper_hz, v.data());
    write_values(v, ctx.out(0));
  }

  std::vector<int> shape_value_inputs() const override { return {0, 1}; }

 private:
  struct Args {
    int64_t num_mel_bins, dft_length;
    double sample_rate, lower_hz, upper_hz;
  };

  static Args args(std::span<const Tensor* const> in) {
    if (in.size() < 5 || !in[3] || !in[4])
      fail("MelWeightMatrix needs num_mel_bins, dft_length, sample_rate, lower_edge_hertz and upper_edge_hertz");
    Args a;
    a.num_mel_bins = read_int_scalar(in[0], "num_mel_bins");
    a.dft_length = read_int_scalar(in[1], "dft_length");
    a.sample_rate = static_cast<double>(read_int_scalar(in[2], "sample_rate"));
    a.lower_hz = read_scalar(*in[3], "lower_edge_hertz");
    a.upper_hz = read_scalar(*in[4], "upper_edge_hertz");
    if (a.num_mel_bins <= 0) fail("num_mel_bins must be positive, got " + std::to_string(a.num_mel_bins));
    if (a.dft_length <= 0) fail("dft_length must be positive, got " + std::to_string(a.dft_length));
    if (a.sample_rate <= 0) fail("sample_rate must be positive, got " + std::to_string(a.sample_rate));
    if (!(a.lower_hz >= 0 && a.lower_hz < a.upper_hz && std::isfinite(a.upper_hz)))
      fail("need 0 <= lower_edge_hertz < upper_edge_hertz, got " + std::to_string(a.lower_hz) + " and " +
           std::to_string(a.upper_hz));
    return a;
  }

  DType dtype_;
};

using HannWindowKernel = WindowKernel<cpu::WindowKind::Hann>;
using HammingWindowKernel = WindowKernel<cpu::WindowKind::Hamming>;
using BlackmanWindowKernel = WindowKernel<cpu::WindowKind::Blackman>;

}  // namespace

LRE_CPU_KERNEL(HannWindow, HannWindowKernel);
LRE_CPU_KERNEL(HammingWindow, HammingWindowKernel);
LRE_CPU_KERNEL(BlackmanWindow, BlackmanWindowKernel);
LRE_CPU_KERNEL(MelWeightMatrix, MelWeightMatrixKernel);

}  // namespace lre
