// MaxUnpool (opsets 9, 11): the output shape from kernel_shape, strides and pads, or from the
// optional output_shape input, which (as in the ONNX reference) replaces the pads: indices address
// the unpadded unpooled shape, which is placed at the origin of the larger output.
#include "core/dispatch.h"
#include "kernels/cpu/max_unpool.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class MaxUnpoolKernel final : public Kernel {
 public:
  explicit MaxUnpoolKernel(const KernelInit& init) {
    const Attributes& a = init.node.attrs;
    kernel_ = a.get_ints("kernel_shape");
    if (kernel_.empty()) fail("MaxUnpool needs the kernel_shape attribute");
    for (int64_t k : kernel_)
      if (k <= 0) fail("kernel_shape " + shape_to_string(kernel_) + " must be positive");
    const size_t n = kernel_.size();
    strides_ = a.get_ints("strides", std::vector<int64_t>(n, 1));
    pads_ = a.get_ints("pads", std::vector<int64_t>(2 * n, 0));
    if (strides_.size() != n)
      fail("strides " + shape_to_string(strides_) + " needs one value per kernel axis (" + std::to_string(n) + ")");
    if (pads_.size() != 2 * n)
      fail("pads " + shape_to_string(pads_) + " needs two values per kernel axis (" + std::to_string(2 * n) + ")");
    for (int64_t s : strides_)
      if (s <= 0) fail("strides " + shape_to_string(strides_) + " must be positive");
    for (int64_t p : pads_)
      if (p < 0) fail("pads " + shape_to_string(pads_) + " must be non-negative");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    Shape out = unpooled_shape(in);
    if (in.size() > 2 && in[2]) {
      std::vector<int64_t> given = read_int_values(*in[2], "output_shape");
      if (given.size() != out.size())
        fail("output_shape " + shape_to_string(given) + " must have X's rank " + std::to_string(out.size()));
      for (size_t d = 0; d < given.size(); ++d)
        if (given[d] < out[d] || (d < 2 && given[d] != out[d]))
          fail("output_shape " + shape_to_string(given) +
               " must keep N and C of X and be at least the unpooled shape " + shape_to_string(out));
      out = given;
    }
    return {{in[0]->dtype(), out}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor &x = ctx.in(0), &idx = ctx.in(1);
    Tensor& y = ctx.out(0);
    const Shape unpooled = unpooled_shape(ctx.inputs);
    const int64_t limit = shape_numel(unpooled);
    const int64_t* ind = idx.data<int64_t>();
    for (int64_t i = 0; i < idx.numel(); ++i)
      if (ind[i] < 0 || ind[i] >= limit)
        fail("I[" + std::to_string(i) + "] = " + std::to_string(ind[i]) + " is outside the unpooled shape " +
             shape_to_string(unpooled) + " of " + std::to_string(limit) + " elements");
    dispatch_float(x.dtype(), "MaxUnpool", [&]<typename T>() {
      cpu::max_unpool<T>(x.data<T>(), ind, x.numel(), y.data<T>(), unpooled, y.shape());
    });
  }

  std::vector<int> shape_value_inputs() const override { return {2}; }

 private:
  Shape unpooled_shape(std::span<const Tensor* const> in) const {
    if (in.size() < 2 || !in[0] || !in[1]) fail("MaxUnpool needs inputs X and I");
    const Tensor &x = *in[0], &idx = *in[1];
    const size_t n = kernel_.size();
    if (x.rank() != n + 2)
      fail("X must be (N, C) plus " + std::to_string(n) + " spatial axes for kernel_shape " + shape_to_string(kernel_) +
           ", got shape " + shape_to_string(x.shape()));
    if (idx.shape() != x.shape())
      fail("I must have X's shape " + shape_to_string(x.shape()) + ", got " + shape_to_string(idx.shape()));
    if (idx.dtype() != DType::Int64) fail(std::string("I must be int64, got ") + dtype_name(idx.dtype()));
    if (!dtype_is_float(x.dtype()))
      fail_unsupported(std::string("MaxUnpool supports float X, got ") + dtype_name(x.dtype()));
    const bool padded = in.size() <= 2 || !in[2];  // output_shape replaces the pads
    Shape out = {x.dim(0), x.dim(1)};
    for (size_t d = 0; d < n; ++d) {
      int64_t len = (x.dim(d + 2) - 1) * strides_[d] + kernel_[d] - (padded ? pads_[d] + pads_[d + n] : 0);
      out.push_back(std::max<int64_t>(len, 0));
    }
    return out;
  }

  std::vector<int64_t> kernel_, strides_, pads_;
};

}  // namespace

LRE_CPU_KERNEL(MaxUnpool, MaxUnpoolKernel);

}  // namespace lre
