// RoiAlign against a float64 reference written from the ONNX description (bins of a regular
// sampling grid, bilinear samples clamped at the border, zero beyond one pixel outside).
#include "op_test_util.h"

namespace lre::test {

namespace {

double ref_bilinear(const std::vector<double>& img, int64_t h, int64_t w, double y, double x, double& w_max) {
  if (y < -1 || y > static_cast<double>(h) || x < -1 || x > static_cast<double>(w)) {
    w_max = 0;
    return 0;
  }
  y = std::min(std::max(y, 0.0), static_cast<double>(h - 1));
  x = std::min(std::max(x, 0.0), static_cast<double>(w - 1));
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x);
  int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
  auto at = [&](int64_t yy, int64_t xx) { return img[static_cast<size_t>(yy * w + xx)]; };
  double v[4] = {(1 - ly) * (1 - lx) * at(y0, x0), (1 - ly) * lx * at(y0, x1), ly * (1 - lx) * at(y1, x0),
                 ly * lx * at(y1, x1)};
  w_max = std::max(std::max(v[0], v[1]), std::max(v[2], v[3]));
  return v[0] + v[1] + v[2] + v[3];
}

std::vector<double> ref_roi_align(const std::vector<double>& x, int64_t c, int64_t h, int64_t w,
                                  const std::vector<double>& rois, const std::vector<int64_t>& bi, int64_t oh,
                                  int64_t ow, int64_t ratio, double scale, bool half_pixel, bool max_mode) {
  std::vector<double> y;
  for (size_t r = 0; r < bi.size(); ++r) {
    double off = half_pixel ? 0.5 : 0;
    double x1 = rois[r * 4] * scale - off, y1 = rois[r * 4 + 1] * scale - off;
    double rw = rois[r * 4 + 2] * scale - off - x1, rh = rois[r * 4 + 3] * scale - off - y1;
    if (!half_pixel) {
      rw = std::max(rw, 1.0);
      rh = std::max(rh, 1.0);
    }
    int64_t gh = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rh / static_cast<double>(oh)));
    int64_t gw = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rw / static_cast<double>(ow)));
    for (int64_t ch = 0; ch < c; ++ch) {
      std::vector<double> img(x.begin() + (bi[r] * c + ch) * h * w, x.begin() + (bi[r] * c + ch + 1) * h * w);
      for (int64_t ph = 0; ph < oh; ++ph)
        for (int64_t pw = 0; pw < ow; ++pw) {
          double sum = 0, best = -1e300;
          for (int64_t iy = 0; iy < gh; ++iy)
            for (int64_t ix = 0; ix < gw; ++ix) {
              double yy = y1 + (static_cast<double>(ph) + (static_cast<double>(iy) + 0.5) / static_cast<double>(gh)) *
                                   rh / static_cast<double>(oh);
              double xx = x1 + (static_cast<double>(pw) + (static_cast<double>(ix) + 0.5) / static_cast<double>(gw)) *
                                   rw / static_cast<double>(ow);
              double m;
              sum += ref_bilinear(img, h, w, yy, xx, m);
              best = std::max(best, m);
            }
          y.push_back(max_mode ? best : sum / static_cast<double>(std::max<int64_t>(gh * gw, 1)));
        }
    }
  }
  return y;
}

}  // namespace

TEST(RoiAlign, MatchesReferenceInEveryMode) {
  const int64_t n = 2, c = 3, h = 9, w = 11, oh = 3, ow = 5;
  Tensor x = random_tensor(DType::Float32, {n, c, h, w}, 1);
  // Rois inside, straddling the border, tiny (below one pixel) and partly outside.
  std::vector<float> rois = {1.2f, 0.5f, 8.7f, 6.1f,  -2.0f, -1.5f, 4.0f,  3.0f,
                             5.1f, 5.2f, 5.3f, 5.35f, 7.0f,  2.0f,  13.5f, 10.5f};
  std::vector<int64_t> bi = {0, 1, 1, 0};
  for (bool half_pixel : {true, false})
    for (bool max_mode : {false, true})
      for (int64_t ratio : {0, 2}) {
        SCOPED_TRACE(std::string(half_pixel ? "half_pixel" : "output_half_pixel") + (max_mode ? " max" : " avg") +
                     " ratio " + std::to_string(ratio));
        auto y = OpTest("RoiAlign", 16)
                     .input("x", x)
                     .input("rois", make_tensor<float>({4, 4}, rois))
                     .input("batch_indices", make_tensor<int64_t>({4}, bi))
                     .output("y")
                     .attr("output_height", oh)
                     .attr("output_width", ow)
                     .attr("sampling_ratio", ratio)
                     .attr("spatial_scale", 0.9f)
                     .attr("mode", max_mode ? "max" : "avg")
                     .attr("coordinate_transformation_mode", half_pixel ? "half_pixel" : "output_half_pixel")
                     .run();
        ASSERT_EQ(y[0].shape(), (Shape{4, c, oh, ow}));
        std::vector<double> rd(rois.begin(), rois.end());
        expect_close(y[0],
                     ref_roi_align(to_doubles(x), c, h, w, rd, bi, oh, ow, ratio, static_cast<double>(0.9f), half_pixel,
                                   max_mode),
                     1e-4, 1e-5);
      }
}

TEST(RoiAlign, Opset10DefaultsToOutputHalfPixel) {
  // A constant image averages to the constant wherever the roi lies inside it.
  Tensor x = make_tensor<float>({1, 1, 3, 3}, std::vector<float>(9, 2.5f));
  auto y = OpTest("RoiAlign", 10)
               .input("x", x)
               .input("rois", make_tensor<float>({1, 4}, {0.5f, 0.5f, 1.5f, 1.5f}))
               .input("batch_indices", make_tensor<int64_t>({1}, {0}))
               .output("y")
               .attr("output_height", 2)
               .attr("output_width", 2)
               .run();
  expect_close(y[0], {2.5, 2.5, 2.5, 2.5}, 1e-6, 1e-6);
}

TEST(RoiAlign, RejectsBadInputs) {
  Tensor x = random_tensor(DType::Float32, {2, 1, 4, 5}, 2);
  Tensor rois = make_tensor<float>({1, 4}, {0, 0, 2, 2});
  EXPECT_THROW(OpTest("RoiAlign", 16)
                   .input("x", x)
                   .input("rois", rois)
                   .input("b", make_tensor<int64_t>({1}, {2}))
                   .output("y")
                   .run(),
               Error);  // batch index past N
  EXPECT_THROW(OpTest("RoiAlign", 16)
                   .input("x", x)
                   .input("rois", make_tensor<float>({1, 3}, {0, 0, 2}))
                   .input("b", make_tensor<int64_t>({1}, {0}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("RoiAlign", 16)
                   .input("x", x)
                   .input("rois", rois)
                   .input("b", make_tensor<int64_t>({2}, {0, 0}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("RoiAlign", 16)
                   .input("x", x)
                   .input("rois", rois)
                   .input("b", make_tensor<int64_t>({1}, {0}))
                   .output("y")
                   .attr("mode", "sum")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("RoiAlign", 16)
                   .input("x", x)
                   .input("rois", make_tensor<float>({1, 4}, {0, 0, 1e30f, 1e30f}))
                   .input("b", make_tensor<int64_t>({1}, {0}))
                   .output("y")
                   .run(),
               Error);  // would need ~1e60 samples
}

}  // namespace lre::test
