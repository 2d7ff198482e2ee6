// ScatterElements (and Scatter, its name before opset 11) and ScatterND: the output starts as a copy
// of data, then updates are written (or, from opset 16, added / multiplied; 18, max / min) in place.
#include "kernels/cpu/scatter.h"
#include "kernels/cpu/strided_copy.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

namespace lre {

namespace {

cpu::ScatterReduction parse_reduction(const KernelInit& init, const char* op) {
  std::string r = init.node.attrs.get_string("reduction", "none");
  if (r == "none") return cpu::ScatterReduction::None;
  if (r == "add") return cpu::ScatterReduction::Add;
  if (r == "mul") return cpu::ScatterReduction::Mul;
  if (r == "max") return cpu::ScatterReduction::Max;
  if (r == "min") return cpu::ScatterReduction::Min;
  fail(std::string(op) + " reduction must be none, add, mul, max or min, got '" + r + "'");
}

// Inputs data, indices, updates; the output is data's type and shape.
struct ScatterInputs {
  const Tensor& data;
  const Tensor& indices;
  const Tensor& updates;
  ScatterInputs(std::span<const Tensor* const> in, const std::string& op)
      : data(required_input(in, 0, op + " input 'data'")),
        indices(required_input(in, 1, op + " input 'indices'")),
        updates(required_input(in, 2, op + " input 'updates'")) {
    index_data(indices, op + " indices");
    if (updates.dtype() != data.dtype())
      fail(op + " updates are " + dtype_name(updates.dtype()) + ", data is " + dtype_name(data.dtype()));
  }
};

class ScatterElementsKernel final : public Kernel {
 public:
  explicit ScatterElementsKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", 0)), reduction_(parse_reduction(init, "ScatterElements")) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    ScatterInputs s(in, "ScatterElements");
    check(s);
    return {{s.data.dtype(), s.data.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    ScatterInputs s(ctx.inputs, "ScatterElements");
    Tensor& out = ctx.out(0);
    cpu::copy_bytes(s.data.raw(), out.raw(), s.data.nbytes(), &ctx.pool);
    cpu::scatter_elements(out.dtype(), out.raw(), out.shape(), s.updates.raw(), index_data(s.indices, "ScatterElements indices"),
                          s.indices.shape(), check(s), reduction_, &ctx.pool);
  }

 private:
  int64_t check(const ScatterInputs& s) const {
    if (s.data.rank() == 0) fail("ScatterElements data must have rank 1 or more, got a scalar");
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(s.data.rank()), "ScatterElements axis");
    if (s.updates.shape() != s.indices.shape())
      fail("ScatterElements updates " + shape_to_string(s.updates.shape()) + " must have the shape of indices " +
           shape_to_string(s.indices.shape()));
    bool ok = s.indices.rank() == s.data.rank();
    for (size_t d = 0; ok && d < s.data.rank(); ++d) ok = static_cast<int64_t>(d) == axis || s.indices.dim(d) <= s.data.dim(d);
    if (!ok)
      fail("ScatterElements indices " + shape_to_string(s.indices.shape()) + " must have the rank of data " +
           shape_to_string(s.data.shape()) + " and be no larger along axes other than " + std::to_string(axis));
    return axis;
  }
  int64_t axis_;
  cpu::ScatterReduction reduction_;
};

class ScatterNDKernel final : public Kernel {
 public:
  explicit ScatterNDKernel(const KernelInit& init) : reduction_(parse_reduction(init, "ScatterND")) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    ScatterInputs s(in, "ScatterND");
    layout(s);
    return {{s.data.dtype(), s.data.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    ScatterInputs s(ctx.inputs, "ScatterND");
    Layout l = layout(s);
    Tensor& out = ctx.out(0);
    cpu::copy_bytes(s.data.raw(), out.raw(), s.data.nbytes(), &ctx.pool);
    cpu::scatter_nd(out.dtype(), out.raw(), l.index_dims, l.slice, s.updates.raw(), index_data(s.indices, "ScatterND indices"), l.count,
                    reduction_);
  }

 private:
  struct Layout {
    Shape index_dims;
    int64_t slice = 1, count = 1;
  };
  // updates must be indices.shape[:-1] + data.shape[k:].
  static Layout layout(const ScatterInputs& s) {
    const Shape& ds = s.data.shape();
    const Shape& is = s.indices.shape();
    if (ds.empty() || is.empty())
      fail("ScatterND data and indices must have rank 1 or more, got " + shape_to_string(ds) + " and " + shape_to_string(is));
    const int64_t k = is.back();
    if (k < 1 || k > static_cast<int64_t>(ds.size()))
      fail("ScatterND indices last dimension " + std::to_string(k) + " must be in [1, " + std::to_string(ds.size()) + "]");
    Shape want(is.begin(), is.end() - 1);
    want.insert(want.end(), ds.begin() + k, ds.end());
    if (s.updates.shape() != want)
      fail("ScatterND updates " + shape_to_string(s.updates.shape()) + " must have shape " + shape_to_string(want));
    Layout l;
    l.index_dims.assign(ds.begin(), ds.begin() + k);
    for (size_t d = static_cast<size_t>(k); d < ds.size(); ++d) l.slice *= ds[d];
    for (size_t d = 0; d + 1 < is.size(); ++d) l.count *= is[d];
    return l;
  }
  cpu::ScatterReduction reduction_;
};

}  // namespace

LRE_CPU_KERNEL(ScatterElements, ScatterElementsKernel);
LRE_CPU_KERNEL(Scatter, ScatterElementsKernel);
LRE_CPU_KERNEL(ScatterND, ScatterNDKernel);

}  // namespace lre
