// Ops that make tensors from a rule: ConstantOfShape, Range, OneHot, EyeLike and Trilu. Shapes and
// checks live here; the fills are in kernels/cpu/generate.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/dispatch.h"
#include "kernels/cpu/generate.h"
#include "onnx/tensor_proto.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

namespace lre {

namespace {

class ConstantOfShapeKernel final : public Kernel {
 public:
  explicit ConstantOfShapeKernel(const KernelInit& init) {
    if (init.node.attrs.has("value")) {
      value_ = init.node.attrs.get_tensor("value");
      if (value_.numel() != 1) fail("ConstantOfShape value must hold one element, got shape " + shape_to_string(value_.shape()));
    } else {
      value_ = Tensor(DType::Float32, {1});
    }
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape shape = read_int_values(required_input(in, 0, "ConstantOfShape input"), "ConstantOfShape input");
    for (int64_t d : shape)
      if (d < 0) fail("ConstantOfShape shape " + shape_to_string(shape) + " has a negative dimension");
    return {{value_.dtype(), shape}};
  }
  void compute(KernelContext& ctx) const override {
    Tensor& y = ctx.out(0);
    cpu::fill(y.raw(), y.numel(), value_.raw(), dtype_size(y.dtype()), &ctx.pool);
  }
  std::vector<int> shape_value_inputs() const override { return {0}; }

 private:
  Tensor value_;
};

class RangeKernel final : public Kernel {
 public:
  explicit RangeKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& start = required_input(in, 0, "Range input 'start'");
    const DType t = start.dtype();
    if (t != DType::Float32 && t != DType::Float64 && t != DType::Int16 && t != DType::Int32 && t != DType::Int64)
      fail(std::string("Range supports float32, float64, int16, int32 and int64, got ") + dtype_name(t));
    for (size_t i = 0; i < 3; ++i) {
      const Tensor& v = required_input(in, i, "Range input " + std::to_string(i));
      if (v.dtype() != t || v.numel() != 1)
        fail("Range start, limit and delta must be single " + std::string(dtype_name(t)) + " values, input " + std::to_string(i) + " is " +
             dtype_name(v.dtype()) + " " + shape_to_string(v.shape()));
    }
    return {{t, {count(*in[0], *in[1], *in[2])}}};
  }
  void compute(KernelContext& ctx) const override {
    Tensor& y = ctx.out(0);
    cpu::range(y.dtype(), ctx.in(0).raw(), ctx.in(2).raw(), y.raw(), y.numel());
  }
  std::vector<int> shape_value_inputs() const override { return {0, 1, 2}; }

 private:
  // max(ceil((limit - start) / delta), 0), exact for integers.
  static int64_t count(const Tensor& start, const Tensor& limit, const Tensor& delta) {
    return dispatch_dtype(start.dtype(), [&]<typename T>() -> int64_t {
      const T s = start.data<T>()[0], l = limit.data<T>()[0], d = delta.data<T>()[0];
      if (d == T(0)) fail("Range delta must not be 0");
      if constexpr (std::is_integral_v<T>) {
        const int64_t diff = static_cast<int64_t>(l) - static_cast<int64_t>(s), step = d;
        if (step > 0) return diff > 0 ? (diff - 1) / step + 1 : 0;
        return diff < 0 ? (-diff - 1) / -step + 1 : 0;
      } else {
        const double n = std::ceil(static_cast<double>(static_cast<compute_t<T>>(l - s)) / static_cast<double>(d));
        if (!(n < 9e18)) fail("Range gives too many elements (start, limit and delta must be finite)");
        return n > 0 ? static_cast<int64_t>(n) : 0;
      }
    });
  }
};

class OneHotKernel final : public Kernel {
 public:
  explicit OneHotKernel(const KernelInit& init) : axis_(init.node.attrs.get_int("axis", -1)) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& idx = required_input(in, 0, "OneHot input 'indices'");
    const Tensor& values = required_input(in, 2, "OneHot input 'values'");
    if (values.numel() != 2) fail("OneHot values must hold two elements (off, on), got shape " + shape_to_string(values.shape()));
    Shape out = idx.shape();
    out.insert(out.begin() + axis(idx), depth(required_input(in, 1, "OneHot input 'depth'")));
    return {{values.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& idx = ctx.in(0);
    const int64_t a = axis(idx);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < static_cast<int64_t>(idx.rank()); ++d) (d < a ? outer : inner) *= idx.dim(static_cast<size_t>(d));
    Tensor& y = ctx.out(0);
    cpu::one_hot(idx.dtype(), idx.raw(), outer, inner, depth(ctx.in(1)), ctx.in(2).raw(), dtype_size(y.dtype()), y.raw(), &ctx.pool);
  }
  std::vector<int> shape_value_inputs() const override { return {1}; }

 private:
  int64_t axis(const Tensor& idx) const {
    const int64_t r = static_cast<int64_t>(idx.rank()) + 1;
    return normalize_axis(axis_, r, "OneHot axis");
  }
  static int64_t depth(const Tensor& t) {
    if (t.numel() != 1) fail("OneHot depth must hold one element, got shape " + shape_to_string(t.shape()));
    if (t.dtype() == DType::Bool) fail("OneHot depth must be numeric, got bool");
    const double d = read_scalar(t, "OneHot depth");
    if (!(d >= 1 && d < 9e18)) fail("OneHot depth must be positive, got " + std::to_string(d));
    return static_cast<int64_t>(d);
  }
  int64_t axis_;
};

class EyeLikeKernel final : public Kernel {
 public:
  explicit EyeLikeKernel(const KernelInit& init) : k_(init.node.attrs.get_int("k", 0)) {
    if (init.node.attrs.has("dtype")) {
      dtype_ = dtype_from_onnx(static_cast<int>(init.node.attrs.get_int("dtype")), "EyeLike dtype");
      has_dtype_ = true;
    }
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "EyeLike input");
    if (x.rank() != 2) fail("EyeLike needs a 2-D input, got " + shape_to_string(x.shape()));
    return {{has_dtype_ ? dtype_ : x.dtype(), x.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    Tensor& y = ctx.out(0);
    // Diagonals outside the matrix are all equivalent; clamping keeps the kernel's arithmetic in range.
    cpu::eye(y.dtype(), y.raw(), y.dim(0), y.dim(1), std::clamp<int64_t>(k_, -y.dim(0), y.dim(1)));
  }

 private:
  int64_t k_;
  DType dtype_ = DType::Float32;
  bool has_dtype_ = false;
};

class TriluKernel final : public Kernel {
 public:
  explicit TriluKernel(const KernelInit& init) : upper_(init.node.attrs.get_int("upper", 1) != 0) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Trilu input");
    if (x.rank() < 2) fail("Trilu needs an input of rank 2 or more, got " + shape_to_string(x.shape()));
    k(in);
    return {{x.dtype(), x.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
    const int64_t batch = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
    // Diagonals beyond the matrix keep all or nothing alike; clamping keeps row + k in range.
    const int64_t diag = std::clamp<int64_t>(k(ctx.inputs), -rows - 1, cols + 1);
    cpu::trilu(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), batch, rows, cols, diag, upper_, &ctx.pool);
  }

 private:
  static int64_t k(std::span<const Tensor* const> in) {
    if (in.size() < 2 || !in[1]) return 0;
    std::vector<int64_t> v = read_int_values(*in[1], "Trilu k");
    if (v.size() != 1) fail("Trilu k must hold one element, got " + std::to_string(v.size()));
    return v[0];
  }
  bool upper_;
};

}  // namespace

LRE_CPU_KERNEL(ConstantOfShape, ConstantOfShapeKernel);
LRE_CPU_KERNEL(Range, RangeKernel);
LRE_CPU_KERNEL(OneHot, OneHotKernel);
LRE_CPU_KERNEL(EyeLike, EyeLikeKernel);
LRE_CPU_KERNEL(Trilu, TriluKernel);

}  // namespace lre
