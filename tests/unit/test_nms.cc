// NonMaxSuppression: hand-checked selections (ONNX's examples) and a brute-force float64 reference
// on random boxes with several batches and classes.
#include <numeric>

#include "op_test_util.h"

namespace lre::test {

namespace {

Tensor scalar_i64(int64_t v) { return make_tensor<int64_t>({1}, {v}); }
Tensor scalar_f32(float v) { return make_tensor<float>({1}, {v}); }

std::vector<Tensor> run_nms(const Tensor& boxes, const Tensor& scores, int64_t max_out, float iou, float score,
                            int center = 0) {
  return OpTest("NonMaxSuppression", 11)
      .input("boxes", boxes)
      .input("scores", scores)
      .constant_input("max", scalar_i64(max_out))
      .constant_input("iou", scalar_f32(iou))
      .constant_input("score", scalar_f32(score))
      .output("selected")
      .attr("center_point_box", center)
      .run();
}

double ref_iou(const double* a, const double* b) {
  double ay1 = std::min(a[0], a[2]), ay2 = std::max(a[0], a[2]), ax1 = std::min(a[1], a[3]), ax2 = std::max(a[1], a[3]);
  double by1 = std::min(b[0], b[2]), by2 = std::max(b[0], b[2]), bx1 = std::min(b[1], b[3]), bx2 = std::max(b[1], b[3]);
  double ih = std::min(ay2, by2) - std::max(ay1, by1), iw = std::min(ax2, bx2) - std::max(ax1, bx1);
  if (ih <= 0 || iw <= 0) return 0;
  double inter = ih * iw;
  return inter / ((ay2 - ay1) * (ax2 - ax1) + (by2 - by1) * (bx2 - bx1) - inter);
}

}  // namespace

TEST(NonMaxSuppression, SuppressesByIouAndScore) {
  Tensor boxes = make_tensor<float>(
      {1, 6, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101});
  Tensor scores = make_tensor<float>({1, 1, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f});
  auto y = run_nms(boxes, scores, 3, 0.5f, 0.0f);
  ASSERT_EQ(y[0].shape(), (Shape{3, 3}));
  expect_close(y[0], {0, 0, 3, 0, 0, 0, 0, 0, 5}, 0, 0);
  auto z = run_nms(boxes, scores, 3, 0.5f, 0.4f);  // box 5 (0.3) is below the score threshold
  expect_close(z[0], {0, 0, 3, 0, 0, 0}, 0, 0);
}

TEST(NonMaxSuppression, CenterPointBoxes) {
  Tensor boxes = make_tensor<float>({1, 3, 4}, {0.5f, 0.5f, 1, 1, 0.5f, 0.6f, 1, 1, 0.5f, 10.5f, 1, 1});
  Tensor scores = make_tensor<float>({1, 1, 3}, {0.9f, 0.95f, 0.5f});
  auto y = run_nms(boxes, scores, 5, 0.5f, 0.0f, 1);
  expect_close(y[0], {0, 0, 1, 0, 0, 2}, 0, 0);
}

TEST(NonMaxSuppression, MatchesBruteForceOnRandomBoxes) {
  const int64_t batches = 2, classes = 3, spatial = 37;
  Tensor boxes = random_tensor(DType::Float32, {batches, spatial, 4}, 1, 0, 10);
  Tensor scores = random_tensor(DType::Float32, {batches, classes, spatial}, 2, 0, 1);
  const int64_t max_out = 6;
  const double iou = 0.3, score = 0.2;
  auto y = run_nms(boxes, scores, max_out, static_cast<float>(iou), static_cast<float>(score));
  std::vector<double> bx = to_doubles(boxes), sc = to_doubles(scores), want;
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t c = 0; c < classes; ++c) {
      const double* s = &sc[static_cast<size_t>((b * classes + c) * spatial)];
      std::vector<int64_t> order(spatial);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return s[l] > s[r]; });
      std::vector<int64_t> kept;
      for (int64_t i : order) {
        if (s[i] <= score || static_cast<int64_t>(kept.size()) == max_out) break;
        bool ok = true;
        for (int64_t k : kept)
          ok = ok && ref_iou(&bx[static_cast<size_t>((b * spatial + i) * 4)],
                             &bx[static_cast<size_t>((b * spatial + k) * 4)]) <= iou;
        if (ok) kept.push_back(i);
      }
      for (int64_t k : kept) want.insert(want.end(), {double(b), double(c), double(k)});
    }
  ASSERT_GT(want.size(), 9u);
  expect_close(y[0], want, 0, 0);
}

TEST(NonMaxSuppression, OptionalInputsAndErrors) {
  Tensor boxes = make_tensor<float>({1, 2, 4}, {0, 0, 1, 1, 0, 0, 1, 1});
  Tensor scores = make_tensor<float>({1, 1, 2}, {0.5f, 0.6f});
  // Without max_output_boxes_per_class nothing is selected.
  auto none = OpTest("NonMaxSuppression", 11).input("b", boxes).input("s", scores).output("y").run();
  EXPECT_EQ(none[0].shape(), (Shape{0, 3}));
  EXPECT_THROW(run_nms(boxes, scores, 1, 1.5f, 0), Error);  // iou_threshold outside [0, 1]
  EXPECT_THROW(run_nms(boxes, scores, -1, 0.5f, 0), Error);
  EXPECT_THROW(run_nms(make_tensor<float>({1, 2, 3}, {0, 0, 1, 0, 0, 1}), scores, 1, 0.5f, 0), Error);
  EXPECT_THROW(run_nms(boxes, make_tensor<float>({1, 1, 3}, {1, 2, 3}), 1, 0.5f, 0), Error);
}

}  // namespace lre::test
