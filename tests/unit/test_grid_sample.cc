// GridSample against a float64 per-pixel reference of PyTorch's grid_sample (which ONNX follows),
// plus hand-checked values.
#include "op_test_util.h"

namespace lre::test {

namespace {

struct RefGrid {
  std::string mode = "bilinear", padding = "zeros";
  bool align = false;
};

double ref_reflect(double v, double lo2, double hi2) {
  if (lo2 == hi2) return 0;
  double lo = lo2 / 2, span = (hi2 - lo2) / 2;
  v = std::fabs(v - lo);
  double extra = std::fmod(v, span);
  int flips = static_cast<int>(std::floor(v / span));
  return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

double ref_pad(double v, int64_t size, const RefGrid& r) {
  double hi = static_cast<double>(size - 1);
  if (r.padding == "border") return std::clamp(v, 0.0, hi);
  if (r.padding == "reflection") {
    v = r.align ? ref_reflect(v, 0, 2.0 * hi) : ref_reflect(v, -1, 2.0 * static_cast<double>(size) - 1);
    return std::clamp(v, 0.0, hi);
  }
  return v;
}

double ref_pixel(const std::vector<double>& img, int64_t h, int64_t w, double y, double x) {
  auto xi = static_cast<int64_t>(x), yi = static_cast<int64_t>(y);
  if (x < 0 || y < 0 || xi >= w || yi >= h) return 0;
  return img[static_cast<size_t>(yi * w + xi)];
}

double ref_cubic(double d) {  // Keys kernel with a = -0.75 at distance |d|
  const double a = -0.75;
  d = std::fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

double ref_sample(const std::vector<double>& img, int64_t h, int64_t w, double gx, double gy, const RefGrid& r) {
  auto unnorm = [&](double g, int64_t size) {
    return r.align ? (g + 1) / 2 * static_cast<double>(size - 1) : ((g + 1) * static_cast<double>(size) - 1) / 2;
  };
  double x = unnorm(gx, w), y = unnorm(gy, h);
  if (r.mode == "bicubic") {
    double x0 = std::floor(x), y0 = std::floor(y), acc = 0;
    for (int j = -1; j <= 2; ++j)
      for (int i = -1; i <= 2; ++i) {
        double px = ref_pad(x0 + i, w, r), py = ref_pad(y0 + j, h, r);
        acc += ref_cubic(x - (x0 + i)) * ref_cubic(y - (y0 + j)) * ref_pixel(img, h, w, py, px);
      }
    return acc;
  }
  x = ref_pad(x, w, r);
  y = ref_pad(y, h, r);
  if (r.mode == "nearest") return ref_pixel(img, h, w, std::nearbyint(y), std::nearbyint(x));
  double x0 = std::floor(x), y0 = std::floor(y), tx = x - x0, ty = y - y0;
  return (1 - tx) * (1 - ty) * ref_pixel(img, h, w, y0, x0) + tx * (1 - ty) * ref_pixel(img, h, w, y0, x0 + 1) +
         (1 - tx) * ty * ref_pixel(img, h, w, y0 + 1, x0) + tx * ty * ref_pixel(img, h, w, y0 + 1, x0 + 1);
}

void check(const RefGrid& r, unsigned seed) {
  const int64_t n = 2, c = 3, h = 5, w = 7, oh = 4, ow = 9;
  Tensor x = random_tensor(DType::Float32, {n, c, h, w}, seed);
  Tensor g = random_tensor(DType::Float32, {n, oh, ow, 2}, seed + 100, -1.3, 1.3);
  auto y = OpTest("GridSample", 16)
               .input("x", x)
               .input("grid", g)
               .output("y")
               .attr("mode", r.mode)
               .attr("padding_mode", r.padding)
               .attr("align_corners", r.align ? 1 : 0)
               .run();
  ASSERT_EQ(y[0].shape(), (Shape{n, c, oh, ow}));
  std::vector<double> xs = to_doubles(x), gs = to_doubles(g), want;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      std::vector<double> img(xs.begin() + (b * c + ch) * h * w, xs.begin() + (b * c + ch + 1) * h * w);
      for (int64_t p = 0; p < oh * ow; ++p) {
        size_t q = static_cast<size_t>((b * oh * ow + p) * 2);
        want.push_back(ref_sample(img, h, w, gs[q], gs[q + 1], r));
      }
    }
  expect_close(y[0], want, 1e-4, 1e-5);
}

}  // namespace

TEST(GridSample, ModesPaddingsAndCorners) {
  unsigned seed = 1;
  for (const char* mode : {"bilinear", "nearest", "bicubic"})
    for (const char* padding : {"zeros", "border", "reflection"})
      for (bool align : {false, true}) {
        SCOPED_TRACE(std::string(mode) + " " + padding + (align ? " align_corners" : ""));
        check({mode, padding, align}, seed++);
      }
}

TEST(GridSample, HandCheckedBilinear) {
  // 2x2 image; (0, 0) is the centre, (-1, -1) the top-left corner pixel centre with align_corners.
  Tensor x = make_tensor<float>({1, 1, 2, 2}, {0, 1, 2, 3});
  Tensor g = make_tensor<float>({1, 1, 3, 2}, {0, 0, -1, -1, 1, -1});
  auto y = OpTest("GridSample", 16).input("x", x).input("grid", g).output("y").attr("align_corners", 1).run();
  expect_close(y[0], {1.5, 0, 1}, 1e-6, 1e-6);
  // Without align_corners (-1, -1) is the outer corner: a quarter of pixel 0, the rest zero padding.
  auto z = OpTest("GridSample", 16).input("x", x).input("grid", g).output("y").run();
  expect_close(z[0], {1.5, 0, 0.25}, 1e-6, 1e-6);
}

TEST(GridSample, RejectsBadInputs) {
  Tensor x = random_tensor(DType::Float32, {1, 2, 3, 5}, 3);
  Tensor bad_grid = random_tensor(DType::Float32, {1, 2, 2, 3}, 4);
  EXPECT_THROW(OpTest("GridSample", 16).input("x", x).input("grid", bad_grid).output("y").run(), Error);
  Tensor other_batch = random_tensor(DType::Float32, {2, 2, 2, 2}, 5);
  EXPECT_THROW(OpTest("GridSample", 16).input("x", x).input("grid", other_batch).output("y").run(), Error);
  Tensor g = random_tensor(DType::Float32, {1, 2, 2, 2}, 6);
  EXPECT_THROW(OpTest("GridSample", 16).input("x", x).input("grid", g).output("y").attr("mode", "area").run(), Error);
  EXPECT_THROW(OpTest("GridSample", 16).input("x", x).input("grid", g).output("y").attr("padding_mode", "wrap").run(),
               Error);
}

}  // namespace lre::test
