// Shape and Size: int64 facts about the input's shape, never its data. Shape takes the start/end
// slice of opset 15, clamped to the rank as the spec says.
#include <algorithm>

#include "ops/kernel.h"
#include "ops/movement_util.h"

namespace lre {

namespace {

class ShapeKernel final : public Kernel {
 public:
  explicit ShapeKernel(const KernelInit& init)
      : start_(init.opset >= 15 ? init.node.attrs.get_int("start", 0) : 0),
        end_(init.opset >= 15 && init.node.attrs.has("end") ? init.node.attrs.get_int("end") : INT64_MAX) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Shape input");
    auto [b, e] = bounds(static_cast<int64_t>(x.rank()));
    return {{DType::Int64, {e - b}}};
  }
  void compute(KernelContext& ctx) const override {
    const Shape& s = ctx.in(0).shape();
    auto [b, e] = bounds(static_cast<int64_t>(s.size()));
    std::copy(s.begin() + b, s.begin() + e, ctx.out(0).data<int64_t>());
  }

 private:
  std::pair<int64_t, int64_t> bounds(int64_t rank) const {
    auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t b = clamp(start_);
    return {b, std::max(b, clamp(end_))};
  }
  int64_t start_, end_;
};

class SizeKernel final : public Kernel {
 public:
  explicit SizeKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    required_input(in, 0, "Size input");
    return {{DType::Int64, {}}};
  }
  void compute(KernelContext& ctx) const override { *ctx.out(0).data<int64_t>() = ctx.in(0).numel(); }
};

}  // namespace

LRE_CPU_KERNEL(Shape, ShapeKernel);
LRE_CPU_KERNEL(Size, SizeKernel);

}  // namespace lre
