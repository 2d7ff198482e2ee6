// NonMaxSuppression (opsets 10, 11): optional scalar inputs and threshold checks. The number of
// selected boxes depends on the data, so infer() runs the selection to size the output.
#include "kernels/cpu/nms.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

class NonMaxSuppressionKernel final : public Kernel {
 public:
  explicit NonMaxSuppressionKernel(const KernelInit& init) {
    int64_t c = init.node.attrs.get_int("center_point_box", 0);
    if (c != 0 && c != 1) fail("center_point_box must be 0 or 1, got " + std::to_string(c));
    center_ = c == 1;
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    return {{DType::Int64, {static_cast<int64_t>(select(in).size() / 3), 3}}};
  }

  void compute(KernelContext& ctx) const override {
    std::vector<int64_t> sel = select(ctx.inputs, &ctx.pool);
    std::copy(sel.begin(), sel.end(), ctx.out(0).data<int64_t>());
  }

  bool data_dependent_shape() const override { return true; }

 private:
  std::vector<int64_t> select(std::span<const Tensor* const> in, ThreadPool* pool = nullptr) const {
    if (in.size() < 2 || !in[0] || !in[1]) fail("NonMaxSuppression needs inputs boxes and scores");
    const Tensor &boxes = *in[0], &scores = *in[1];
    if (boxes.rank() != 3 || boxes.dim(2) != 4)
      fail("boxes must be (batches, spatial, 4), got shape " + shape_to_string(boxes.shape()));
    if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1))
      fail("scores must be (batches, classes, spatial) = (" + std::to_string(boxes.dim(0)) + ", classes, " +
           std::to_string(boxes.dim(1)) + "), got shape " + shape_to_string(scores.shape()));
    if (boxes.dtype() != DType::Float32 || scores.dtype() != DType::Float32)
      fail_unsupported(std::string("NonMaxSuppression supports float32 boxes and scores, got ") +
                       dtype_name(boxes.dtype()) + " and " + dtype_name(scores.dtype()));
    cpu::NmsParams p;
    p.center_point_box = center_;
    if (in.size() > 2 && in[2] && in[2]->numel() > 0) {
      std::vector<int64_t> m = read_int_values(*in[2], "max_output_boxes_per_class");
      if (m.size() != 1) fail("max_output_boxes_per_class must hold one value, got " + std::to_string(m.size()));
      if (m[0] < 0) fail("max_output_boxes_per_class must be >= 0, got " + std::to_string(m[0]));
      p.max_per_class = m[0];
    }
    if (in.size() > 3 && in[3] && in[3]->numel() > 0) {
      double t = read_scalar(*in[3], "iou_threshold");
      if (!(t >= 0 && t <= 1)) fail("iou_threshold must be in [0, 1], got " + std::to_string(t));
      p.iou_threshold = static_cast<float>(t);
    }
    if (in.size() > 4 && in[4] && in[4]->numel() > 0) {
      p.has_score_threshold = true;
      p.score_threshold = static_cast<float>(read_scalar(*in[4], "score_threshold"));
    }
    return cpu::non_max_suppression(boxes.data<float>(), scores.data<float>(), scores.dim(0), scores.dim(1),
                                    scores.dim(2), p, pool);
  }

  bool center_ = false;
};

}  // namespace

LRE_CPU_KERNEL(NonMaxSuppression, NonMaxSuppressionKernel);

}  // namespace lre
