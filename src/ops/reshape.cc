// Reshape, Flatten, Squeeze and Unsqueeze: the same bytes under a new shape. Only the shape rules
// differ; compute is one copy (outputs have their own buffers in the memory plan).
#include <numeric>

#include "kernels/cpu/strided_copy.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"
#if LRE_WITH_CUDA
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class SameBytesKernel : public Kernel {
 public:
  void compute(KernelContext& ctx) const override { cpu::copy_bytes(ctx.in(0).raw(), ctx.out(0).raw(), ctx.in(0).nbytes(), &ctx.pool); }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override { device_copy_input(ctx); }
#endif
};

class ReshapeKernel final : public SameBytesKernel {
 public:
  explicit ReshapeKernel(const KernelInit& init) : allowzero_(init.opset >= 14 && init.node.attrs.get_int("allowzero", 0) != 0) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Reshape input 'data'");
    Shape shape = read_int_values(required_input(in, 1, "Reshape input 'shape'"), "Reshape input 'shape'");
    int infer_at = -1;
    bool has_zero = false;
    int64_t known = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == -1) {
        if (infer_at >= 0) fail("Reshape shape " + shape_to_string(shape) + " has more than one -1");
        infer_at = static_cast<int>(i);
        continue;
      }
      if (shape[i] < -1) fail("Reshape shape " + shape_to_string(shape) + " has a negative dimension other than -1");
      if (shape[i] == 0) {
        has_zero = true;
        if (!allowzero_) {
          if (i >= x.rank())
            fail("Reshape shape " + shape_to_string(shape) + " copies dimension " + std::to_string(i) + " (0) of input " +
                 shape_to_string(x.shape()) + ", which has no such dimension");
          shape[i] = x.dim(i);
        }
      }
      known *= shape[i];
    }
    if (allowzero_ && has_zero && infer_at >= 0)
      fail("Reshape shape " + shape_to_string(shape) + " has both 0 and -1, which allowzero=1 does not allow");
    if (infer_at >= 0) {
      if (known == 0 || x.numel() % known != 0)
        fail("Reshape cannot infer the -1 in " + shape_to_string(shape) + " for input " + shape_to_string(x.shape()));
      shape[static_cast<size_t>(infer_at)] = x.numel() / known;
    }
    if (shape_numel(shape) != x.numel())
      fail("Reshape cannot turn input " + shape_to_string(x.shape()) + " (" + std::to_string(x.numel()) + " elements) into " +
           shape_to_string(shape));
    return {{x.dtype(), shape}};
  }
  std::vector<int> shape_value_inputs() const override { return {1}; }

 private:
  bool allowzero_;
};

class FlattenKernel final : public SameBytesKernel {
 public:
  explicit FlattenKernel(const KernelInit& init) : axis_(init.node.attrs.get_int("axis", 1)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Flatten input");
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (axis_ < -rank || axis_ > rank)
      fail("Flatten axis " + std::to_string(axis_) + " is out of range [" + std::to_string(-rank) + ", " + std::to_string(rank) +
           "] for input " + shape_to_string(x.shape()));
    const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + rank : axis_);
    const int64_t rows = std::accumulate(x.shape().begin(), x.shape().begin() + static_cast<int64_t>(axis), int64_t{1}, std::multiplies<>());
    const int64_t cols = std::accumulate(x.shape().begin() + static_cast<int64_t>(axis), x.shape().end(), int64_t{1}, std::multiplies<>());
    return {{x.dtype(), {rows, cols}}};
  }

 private:
  int64_t axis_;
};

class SqueezeKernel final : public SameBytesKernel {
 public:
  explicit SqueezeKernel(const KernelInit& init) : axes_(init.node.attrs, "axes", init.opset, 13, 1) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Squeeze input 'data'");
    std::vector<int64_t> axes;
    Shape out;
    if (axes_.get(in, "Squeeze axes", axes)) {
      std::vector<int64_t> norm = normalize_axes(axes, static_cast<int64_t>(x.rank()), "Squeeze axes");
      std::vector<bool> drop(x.rank(), false);
      for (int64_t a : norm) {
        if (x.dim(static_cast<size_t>(a)) != 1)
          fail("Squeeze axis " + std::to_string(a) + " of input " + shape_to_string(x.shape()) + " has size " +
               std::to_string(x.dim(static_cast<size_t>(a))) + ", expected 1");
        drop[static_cast<size_t>(a)] = true;
      }
      for (size_t d = 0; d < x.rank(); ++d)
        if (!drop[d]) out.push_back(x.dim(d));
    } else {
      for (int64_t d : x.shape())
        if (d != 1) out.push_back(d);
    }
    return {{x.dtype(), out}};
  }
  std::vector<int> shape_value_inputs() const override { return {1}; }

 private:
  IntsAttrOrInput axes_;
};

class UnsqueezeKernel final : public SameBytesKernel {
 public:
  explicit UnsqueezeKernel(const KernelInit& init) : axes_(init.node.attrs, "axes", init.opset, 13, 1) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Unsqueeze input 'data'");
    std::vector<int64_t> axes;
    if (!axes_.get(in, "Unsqueeze axes", axes)) fail("Unsqueeze needs axes");
    const int64_t rank = static_cast<int64_t>(x.rank() + axes.size());
    std::vector<bool> inserted(static_cast<size_t>(rank), false);
    for (int64_t a : normalize_axes(axes, rank, "Unsqueeze axes")) inserted[static_cast<size_t>(a)] = true;
    Shape out;
    size_t next = 0;
    for (int64_t d = 0; d < rank; ++d) out.push_back(inserted[static_cast<size_t>(d)] ? 1 : x.dim(next++));
    return {{x.dtype(), out}};
  }
  std::vector<int> shape_value_inputs() const override { return {1}; }

 private:
  IntsAttrOrInput axes_;
};

}  // namespace

LRE_CPU_KERNEL(Reshape, ReshapeKernel);
LRE_CPU_KERNEL(Flatten, FlattenKernel);
LRE_CPU_KERNEL(Squeeze, SqueezeKernel);
LRE_CPU_KERNEL(Unsqueeze, UnsqueezeKernel);

}  // namespace lre
