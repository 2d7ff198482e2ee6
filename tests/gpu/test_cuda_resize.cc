// launch_resize against the CPU kernel (cpu::resize) for every pair of mode and coordinate
// transform (nearest with each rounding, linear and cubic with and without exclude_outside):
// enlarging, shrinking, scales that do not divide, output lengths of 1, all dimensions resized,
// rank 5, rank 0, empty outputs, tf_crop_and_resize beyond the input, and a large image. Nearest
// must match bit for bit for one dtype of each element size; interpolation within float rounding.
#include <cmath>
#include <tuple>

#include "gpu_test_util.h"
#include "kernels/cpu/resize.h"
#include "kernels/cuda/resize.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

using cuda::NearestRounding;
using cuda::ResizeCoord;
using cuda::ResizeMode;

struct ModeCase {
  ResizeMode mode;
  ResizeCoord coord;
  NearestRounding nearest = NearestRounding::RoundPreferFloor;
  bool exclude_outside = false;
  double cubic_a = -0.75;
};

constexpr ResizeCoord kCoords[] = {ResizeCoord::HalfPixel,        ResizeCoord::PytorchHalfPixel,
                                   ResizeCoord::AlignCorners,     ResizeCoord::Asymmetric,
                                   ResizeCoord::TfHalfPixelForNn, ResizeCoord::TfCropAndResize};

std::vector<ModeCase> mode_cases() {
  std::vector<ModeCase> v;
  for (ResizeCoord c : kCoords) {
    for (NearestRounding r : {NearestRounding::RoundPreferFloor, NearestRounding::RoundPreferCeil,
                              NearestRounding::Floor, NearestRounding::Ceil})
      v.push_back({ResizeMode::Nearest, c, r});
    for (bool exclude : {false, true}) {
      v.push_back({ResizeMode::Linear, c, NearestRounding::RoundPreferFloor, exclude});
      v.push_back({ResizeMode::Cubic, c, NearestRounding::RoundPreferFloor, exclude});
    }
  }
  // Upsample's and Resize-10's rule, and the cubic coefficient PyTorch uses.
  v.push_back({ResizeMode::Nearest, ResizeCoord::Asymmetric, NearestRounding::Simple});
  v.push_back({ResizeMode::Cubic, ResizeCoord::HalfPixel, NearestRounding::RoundPreferFloor, false, -0.5});
  return v;
}

const char* coord_name(ResizeCoord c) {
  switch (c) {
    case ResizeCoord::HalfPixel: return "half_pixel";
    case ResizeCoord::PytorchHalfPixel: return "pytorch_half_pixel";
    case ResizeCoord::AlignCorners: return "align_corners";
    case ResizeCoord::Asymmetric: return "asymmetric";
    case ResizeCoord::TfHalfPixelForNn: return "tf_half_pixel_for_nn";
    case ResizeCoord::TfCropAndResize: return "tf_crop_and_resize";
  }
  return "?";
}

const char* rounding_name(NearestRounding r) {
  switch (r) {
    case NearestRounding::RoundPreferFloor: return "round_prefer_floor";
    case NearestRounding::RoundPreferCeil: return "round_prefer_ceil";
    case NearestRounding::Floor: return "floor";
    case NearestRounding::Ceil: return "ceil";
    case NearestRounding::Simple: return "simple";
  }
  return "?";
}

std::string mode_label(const ModeCase& m) {
  std::string s = m.mode == ResizeMode::Nearest ? "nearest" : m.mode == ResizeMode::Linear ? "linear" : "cubic";
  s += std::string("_") + coord_name(m.coord);
  if (m.mode == ResizeMode::Nearest) s += std::string("_") + rounding_name(m.nearest);
  if (m.exclude_outside) s += "_exclude_outside";
  if (m.mode == ResizeMode::Cubic && m.cubic_a != -0.75) s += "_a" + std::to_string(static_cast<int>(-m.cubic_a * 100));
  return s;
}

cpu::ResizeParams cpu_params(const cuda::ResizeParams& p) {
  cpu::ResizeParams c;
  c.mode = static_cast<cpu::ResizeMode>(static_cast<int>(p.mode));
  c.coord = static_cast<cpu::ResizeCoord>(static_cast<int>(p.coord));
  c.nearest = static_cast<cpu::NearestRounding>(static_cast<int>(p.nearest));
  c.cubic_a = p.cubic_a;
  c.exclude_outside = p.exclude_outside;
  c.extrapolation_value = p.extrapolation_value;
  return c;
}

// Either scales (the output length is floor(input * scale), times the roi's extent for
// tf_crop_and_resize, as the op computes it) or sizes (scale = size / input).
struct ShapeCase {
  Shape x;
  std::vector<double> scales;
  Shape sizes;
};

const ShapeCase kShapes[] = {
    {{1, 3, 7, 9}, {1, 1, 2, 2}, {}},            // enlarging
    {{2, 3, 13, 11}, {1, 1, 0.5, 0.6}, {}},      // shrinking by scales that do not divide
    {{1, 1, 5, 4}, {}, {1, 1, 9, 3}},            // sizes: one axis up, one down
    {{2, 17}, {1, 1.7}, {}},                     // one axis
    {{3, 4, 5}, {2, 0.5, 1.5}, {}},              // every axis resized
    {{1, 1, 1, 1}, {}, {1, 1, 3, 3}},            // one input pixel
    {{4, 6}, {}, {4, 1}},                        // an output length of 1
    {{1, 2, 3, 4, 5}, {1, 1, 2, 2, 2}, {}},      // three resized axes of five
    {{1, 2, 5, 150}, {1, 1, 1.5, 1.3}, {}},      // rows of 195 columns: four columns a thread
    {{2, 5, 130}, {1, 2, 1}, {}},                // the innermost dimension copied, in long rows
    {{3, 6, 7}, {2, 0.5, 1}, {}},                // and in short ones
    {{2, 3, 6, 5}, {1, 1, 1, 1}, {}},            // scale 1 (an identity unless the transform shifts)
    {{}, {}, {}},                                // rank 0
    {{1, 3, 0, 4}, {1, 1, 2, 2}, {}},            // empty
};

// For tf_crop_and_resize: axes that are not resized keep [0, 1]; the others crop inside the input
// on even axes and reach beyond it (extrapolation) on odd ones.
std::vector<double> roi_for(const ShapeCase& s, const std::vector<double>& scales) {
  const size_t rank = s.x.size();
  std::vector<double> roi(2 * rank);
  for (size_t d = 0; d < rank; ++d) {
    const bool resized = scales[d] != 1.0;
    roi[d] = !resized ? 0.0 : d % 2 == 0 ? 0.1 : -0.1;
    roi[d + rank] = !resized ? 1.0 : d % 2 == 0 ? 0.85 : 1.2;
  }
  return roi;
}

// DESIGN.md's tolerances, with an absolute floor for outputs near zero: the GPU sums the N-D taps
// at once where the CPU runs one pass per axis, so the float rounding of terms as large as the
// inputs (|x| < 3) differs.
void expect_resized_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = to_doubles(got), w = to_doubles(want);
  const DType t = want.dtype();
  const double rtol = relative_tolerance(t);
  const double atol = t == DType::Float32 ? 2e-5 : t == DType::Float16 ? 1e-3 : 1e-2;
  int64_t bad = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::fabs(g[i] - w[i]) <= atol + rtol * std::fabs(w[i])) continue;
    if (bad++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << w.size() << " elements differ";
}

void check_resize(DType dtype, const ModeCase& m, const ShapeCase& s, cudaStream_t stream, unsigned seed) {
  const size_t rank = s.x.size();
  std::vector<double> scales = s.scales;
  if (!s.sizes.empty()) {
    scales.clear();
    for (size_t d = 0; d < rank; ++d) scales.push_back(static_cast<double>(s.sizes[d]) / static_cast<double>(s.x[d]));
  }
  const bool crop = m.coord == ResizeCoord::TfCropAndResize;
  const std::vector<double> roi = crop ? roi_for(s, scales) : std::vector<double>{};
  Shape y_shape = s.sizes;
  if (s.sizes.empty() && rank > 0) {
    for (size_t d = 0; d < rank; ++d) {
      double len = static_cast<double>(s.x[d]) * scales[d];
      if (crop) len *= roi[d + rank] - roi[d];
      y_shape.push_back(static_cast<int64_t>(std::floor(len)));
    }
  }
  cuda::ResizeParams p;
  p.mode = m.mode;
  p.coord = m.coord;
  p.nearest = m.nearest;
  p.exclude_outside = m.exclude_outside;
  p.cubic_a = m.cubic_a;
  p.extrapolation_value = crop ? 7.5 : 0.0;

  const Tensor x = random_elements(dtype, s.x, seed);
  Tensor want(dtype, y_shape);
  dispatch_dtype(dtype, [&]<typename T>() {
    cpu::resize<T>(x.data<T>(), x.shape(), want.data<T>(), y_shape, scales, roi, cpu_params(p), nullptr);
  });
  DeviceTensor dx = upload(x, stream);
  DeviceTensor dy = poisoned(dtype, want.numel(), stream);
  cuda::launch_resize(dtype, dx.data, x.shape(), dy.data, y_shape, scales, roi, p, stream);
  const Tensor got = download(dy.data, dtype, y_shape, stream);
  const std::string what = mode_label(m) + " " + case_name(dtype, s.x, "to " + shape_to_string(y_shape));
  if (m.mode == ResizeMode::Nearest) expect_same_elements(got, want, what);
  else expect_resized_close(got, want, what);
}

std::vector<DType> dtypes_for(ResizeMode mode) {
  if (mode == ResizeMode::Nearest) return {std::begin(kMovementTypes), std::end(kMovementTypes)};
  return {DType::Float32, DType::Float16, DType::BFloat16};
}

class CudaResize : public GpuParamTest<ModeCase> {};

TEST_P(CudaResize, MatchesCpu) {
  const ModeCase m = GetParam();
  for (DType dtype : dtypes_for(m.mode)) {
    unsigned seed = 1;
    for (const ShapeCase& s : kShapes) check_resize(dtype, m, s, stream(), seed++);
  }
}

// More output elements than 2048 blocks x 256 threads cover in one pass.
TEST_P(CudaResize, LargeImage) {
  const ModeCase m = GetParam();
  check_resize(m.mode == ResizeMode::Nearest ? DType::Float32 : DType::Float16, m, {{1, 3, 400, 500}, {1, 1, 2, 2}, {}},
               stream(), 101);
}

INSTANTIATE_TEST_SUITE_P(AllModes, CudaResize, ::testing::ValuesIn(mode_cases()),
                         [](const ::testing::TestParamInfo<ModeCase>& info) { return mode_label(info.param); });

class CudaResizeErrors : public GpuTest {};

TEST_F(CudaResizeErrors, InterpolationOfIntegersIsUnsupported) {
  DeviceTensor d = poisoned(DType::Int64, 64, stream());
  const Shape x{2, 3}, y{4, 6};
  const double scales[] = {2, 2};
  cuda::ResizeParams p;
  p.mode = ResizeMode::Linear;
  try {
    cuda::launch_resize(DType::Int64, d.data, x, d.data, y, scales, {}, p, stream());
    FAIL() << "expected lre::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported) << e.what();
  }
}

TEST_F(CudaResizeErrors, MismatchedArgumentsAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 64, stream());
  const Shape x{2, 3}, y{4, 6}, empty_x{0, 3};
  const double scales[] = {2, 2}, one_scale[] = {2}, bad_scales[] = {2, 0};
  const double roi[] = {0, 0, 1};
  const cuda::ResizeParams p;
  EXPECT_THROW(cuda::launch_resize(DType::Float32, d.data, x, d.data, y, one_scale, {}, p, stream()), Error);
  EXPECT_THROW(cuda::launch_resize(DType::Float32, d.data, x, d.data, y, bad_scales, {}, p, stream()), Error);
  EXPECT_THROW(cuda::launch_resize(DType::Float32, d.data, x, d.data, y, scales, roi, p, stream()), Error);
  EXPECT_THROW(cuda::launch_resize(DType::Float32, d.data, empty_x, d.data, y, scales, {}, p, stream()), Error);
}

}  // namespace

}  // namespace lre::test
