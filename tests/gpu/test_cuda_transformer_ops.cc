// The Whisper transformer's fused kernels (transformer_ops.cuh) against float64 loops written here
// from their definitions, for every float dtype: widths 1 to past the register-cached rows, packed
// and element paths (unaligned pointers), rows 0, 1 and many, poisoned outputs, and the arguments
// the launchers refuse. Copies (KV append, im2col) must match bit for bit.
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/transformer_ops.cuh"
#include "movement_gpu_util.h"

namespace lre::test {

namespace {

// Every element within atol + rtol * |want| (a NaN never is), the first few misses reported.
void expect_near_all(const Tensor& got, const std::vector<double>& want, double rtol, double atol,
                     const std::string& what) {
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size()) << what;
  const std::vector<double> g = to_doubles(got);
  int64_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::fabs(g[i] - want[i]) <= atol + rtol * std::fabs(want[i])) continue;
    if (bad++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << want[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << want.size() << " elements differ";
}

// Outputs in the run dtype differ from float64 by their final rounding (relative) and by float32
// arithmetic (absolute, small next to values of order 1).
double output_atol(DType dtype) { return dtype == DType::Float32 ? 2e-5 : 1e-4; }

DeviceTensor upload_bytes(const void* p, size_t bytes, cudaStream_t stream) {
  DeviceTensor d{cuda::DeviceBuffer(cuda::DevicePool::current(), bytes + 1, stream), nullptr};
  d.data = d.buffer.data();
  if (bytes) LRE_CUDA_CHECK(cudaMemcpyAsync(d.data, p, bytes, cudaMemcpyHostToDevice, stream));
  return d;
}

Tensor int_tensor(const std::vector<int>& values) {
  Tensor t(DType::Int32, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) t.data<int32_t>()[i] = values[i];
  return t;
}

std::vector<int> random_ids(int64_t n, int limit, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, limit - 1);
  std::vector<int> v(static_cast<size_t>(n));
  for (int& i : v) i = dist(rng);
  return v;
}

// Element `si` of src copied into element `di` of dst (same dtype), bytes unchanged.
void copy_element(const Tensor& src, int64_t si, Tensor& dst, int64_t di) {
  const size_t eb = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw()) + static_cast<size_t>(di) * eb,
              static_cast<const char*>(src.raw()) + static_cast<size_t>(si) * eb, eb);
}

// ---- residual + layer norm ----

struct LayerNormCase {
  int64_t rows, d;
  int64_t offset = 0;  // elements every device pointer is shifted by
};

const LayerNormCase kLayerNormCases[] = {
    {1, 1},    {3, 1},    {1, 37},   {5, 37},   {4, 128},  {4, 129},   // 4 floats a lane
    {7, 384},  {1, 384},  {3, 512},                                   // 16
    {3, 513},  {6, 1280}, {1, 1280}, {5, 1281}, {2, 1536},            // 48
    {2, 1537}, {3, 5000},                                             // block per row
    {300, 384}, {200, 1280},                                          // many rows
    {7, 384, 1}, {5, 1280, 1}, {3, 5000, 1},                          // unaligned: element path
    {0, 384},  {3, 0},                                                // empty
};

void check_residual_layer_norm(DType dtype, const LayerNormCase& c, bool with_bias, unsigned seed,
                               cudaStream_t stream) {
  const std::string what = case_name(dtype, {c.rows, c.d}, std::string(with_bias ? "bias" : "no bias") +
                                                               (c.offset ? " unaligned" : ""));
  const Tensor residual = random_float(DType::Float32, {c.rows, c.d}, seed);
  const Tensor bias = random_float(dtype, {c.d}, seed + 1);
  const Tensor gamma = random_float(dtype, {c.d}, seed + 2, 0.5, 2.0);
  const Tensor beta = random_float(dtype, {c.d}, seed + 3);
  const float eps = 1e-5f;

  const std::vector<double> r = to_doubles(residual), b = to_doubles(bias), g = to_doubles(gamma),
                            be = to_doubles(beta);
  std::vector<double> want_residual(r.size()), want(r.size());
  for (int64_t row = 0; row < c.rows; ++row) {
    const size_t at = static_cast<size_t>(row * c.d);
    double mean = 0.0, var = 0.0;
    for (int64_t j = 0; j < c.d; ++j) {
      want_residual[at + j] = r[at + j] + (with_bias ? b[j] : 0.0);
      mean += want_residual[at + j];
    }
    mean /= static_cast<double>(c.d);
    for (int64_t j = 0; j < c.d; ++j) var += (want_residual[at + j] - mean) * (want_residual[at + j] - mean);
    var /= static_cast<double>(c.d);
    for (int64_t j = 0; j < c.d; ++j)
      want[at + j] = (want_residual[at + j] - mean) / std::sqrt(var + eps) * g[j] + be[j];
  }

  DeviceTensor dr = upload(residual, stream, c.offset), db = upload(bias, stream, c.offset);
  DeviceTensor dg = upload(gamma, stream, c.offset), dbe = upload(beta, stream, c.offset);
  DeviceTensor dy = poisoned(dtype, c.rows * c.d, stream, c.offset);
  cuda::launch_residual_layer_norm(dtype, static_cast<float*>(dr.data), with_bias ? db.data : nullptr, dg.data,
                                   dbe.data, dy.data, c.rows, c.d, eps, stream);
  expect_near_all(download(dy.data, dtype, {c.rows, c.d}, stream), want, relative_tolerance(dtype),
                  output_atol(dtype), what);
  const Tensor got_residual = download(dr.data, DType::Float32, {c.rows, c.d}, stream);
  if (with_bias) expect_near_all(got_residual, want_residual, 1e-6, 1e-6, what + " residual");
  else expect_same_elements(got_residual, residual, what + " residual untouched");
}

class CudaResidualLayerNorm : public GpuParamTest<DType> {};

TEST_P(CudaResidualLayerNorm, MatchesReference) {
  unsigned seed = 1;
  for (const LayerNormCase& c : kLayerNormCases)
    for (bool with_bias : {true, false}) check_residual_layer_norm(GetParam(), c, with_bias, seed += 4, stream());
}

// More rows than one pass of the warp grid (2048 blocks of 8 rows) covers.
TEST_P(CudaResidualLayerNorm, GridLoops) {
  check_residual_layer_norm(GetParam(), {17000, 64}, true, 900, stream());
  check_residual_layer_norm(GetParam(), {5000, 2000}, true, 910, stream());
}

// ---- bias + GELU ----

struct RowsCase {
  int64_t rows, cols;
  int64_t offset = 0;
};

const RowsCase kBiasGeluCases[] = {
    {1, 1},  {1, 37},   {3, 8},    {3, 384},   {5, 1280},   {2, 1281}, {7, 5120},
    {2000, 384}, {9, 384, 1}, {4, 37, 1}, {0, 5}, {4, 0},
};

void check_bias_gelu(DType dtype, const RowsCase& c, unsigned seed, cudaStream_t stream) {
  const Tensor x = random_float(dtype, {c.rows, c.cols}, seed);
  const Tensor bias = random_float(dtype, {c.cols}, seed + 1);
  const std::vector<double> xv = to_doubles(x), bv = to_doubles(bias);
  std::vector<double> want(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) {
    const double v = xv[i] + bv[i % static_cast<size_t>(c.cols)];
    want[i] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  }
  DeviceTensor dx = upload(x, stream, c.offset), db = upload(bias, stream, c.offset);
  cuda::launch_bias_gelu(dtype, dx.data, db.data, c.rows, c.cols, stream);
  expect_near_all(download(dx.data, dtype, x.shape(), stream), want, relative_tolerance(dtype), 1e-6,
                  case_name(dtype, x.shape(), c.offset ? "unaligned" : ""));
}

class CudaBiasGelu : public GpuParamTest<DType> {};

TEST_P(CudaBiasGelu, MatchesReference) {
  unsigned seed = 100;
  for (const RowsCase& c : kBiasGeluCases) check_bias_gelu(GetParam(), c, seed += 2, stream());
}

// ---- token embeddings ----

void check_embed_tokens(DType dtype, int64_t rows, int64_t d, float scale, int64_t offset, unsigned seed,
                        cudaStream_t stream) {
  const int vocab = 53, max_pos = 31;
  const Tensor embed = random_float(dtype, {vocab, d}, seed);
  const Tensor pos = random_float(dtype, {max_pos, d}, seed + 1);
  const std::vector<int> tokens = random_ids(rows, vocab, seed + 2), positions = random_ids(rows, max_pos, seed + 3);
  const std::vector<double> e = to_doubles(embed), p = to_doubles(pos);
  std::vector<double> want(static_cast<size_t>(rows * d));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < d; ++j)
      want[static_cast<size_t>(r * d + j)] = e[static_cast<size_t>(tokens[r] * d + j)] * scale +
                                             p[static_cast<size_t>(positions[r] * d + j)];
  DeviceTensor de = upload(embed, stream, offset), dp = upload(pos, stream, offset);
  DeviceTensor dt = upload(int_tensor(tokens), stream), dq = upload(int_tensor(positions), stream);
  DeviceTensor dy = poisoned(DType::Float32, rows * d, stream, offset);
  cuda::launch_embed_tokens(dtype, static_cast<const int*>(dt.data), static_cast<const int*>(dq.data), de.data,
                            dp.data, scale, static_cast<float*>(dy.data), rows, d, stream);
  expect_near_all(download(dy.data, DType::Float32, {rows, d}, stream), want, 1e-6, 1e-6,
                  case_name(dtype, {rows, d}, "scale " + std::to_string(scale) + (offset ? " unaligned" : "")));
}

class CudaEmbedTokens : public GpuParamTest<DType> {};

TEST_P(CudaEmbedTokens, MatchesReference) {
  unsigned seed = 200;
  for (int64_t d : {1, 37, 384, 1280, 1281})
    for (int64_t rows : {0, 1, 9})
      for (float scale : {1.f, 1.5f}) check_embed_tokens(GetParam(), rows, d, scale, 0, seed += 4, stream());
  check_embed_tokens(GetParam(), 9, 384, 1.5f, 1, 300, stream());
}

// ---- encoder positions ----

void check_add_positions(DType dtype, int64_t windows, int64_t frames, int64_t d, int64_t offset, unsigned seed,
                         cudaStream_t stream) {
  const Tensor x = random_float(dtype, {windows, frames, d}, seed);
  const Tensor pos = random_float(dtype, {frames, d}, seed + 1);
  const std::vector<double> xv = to_doubles(x), p = to_doubles(pos);
  std::vector<double> want(xv.size());
  for (int64_t w = 0; w < windows; ++w)
    for (int64_t f = 0; f < frames; ++f)
      for (int64_t j = 0; j < d; ++j) {
        const size_t at = static_cast<size_t>((w * frames + f) * d + j);
        want[at] = xv[at] + p[static_cast<size_t>(f * d + j)];
      }
  DeviceTensor dx = upload(x, stream, offset), dp = upload(pos, stream, offset);
  DeviceTensor dy = poisoned(DType::Float32, x.numel(), stream, offset);
  cuda::launch_add_positions(dtype, dx.data, dp.data, static_cast<float*>(dy.data), windows, frames, d, stream);
  expect_near_all(download(dy.data, DType::Float32, x.shape(), stream), want, 1e-6, 1e-6,
                  case_name(dtype, x.shape(), offset ? "unaligned" : ""));
}

class CudaAddPositions : public GpuParamTest<DType> {};

TEST_P(CudaAddPositions, MatchesReference) {
  const DType dtype = GetParam();
  check_add_positions(dtype, 1, 1, 1, 0, 400, stream());
  check_add_positions(dtype, 3, 7, 37, 0, 402, stream());
  check_add_positions(dtype, 2, 1500, 384, 0, 404, stream());
  check_add_positions(dtype, 2, 5, 1281, 0, 406, stream());
  check_add_positions(dtype, 2, 9, 384, 1, 408, stream());
  check_add_positions(dtype, 0, 5, 4, 0, 410, stream());
  check_add_positions(dtype, 2, 0, 4, 0, 412, stream());
}

// ---- KV-cache append ----

// Six rows into three caches (layers 3, capacity 10) at layer 1: rows 0 and 3 share cache 0, the
// last two rows' positions (10, -1) are outside the cache and must leave it untouched. `fused`
// reads keys and values from a (rows, 3d) qkv product as the self-attention does, else from a
// (rows, 2d) key/value product.
void check_append_kv(DType dtype, int64_t d, bool fused, int64_t cache_offset, unsigned seed, cudaStream_t stream) {
  const int64_t layers = 3, capacity = 10, layer = 1;
  const std::vector<int> cache_of = {0, 1, 2, 0, 1, 2}, positions = {0, 9, 4, 5, 10, -1};
  const int64_t rows = static_cast<int64_t>(positions.size());
  const int64_t ld = fused ? 3 * d : 2 * d, k_col = fused ? d : 0, v_col = k_col + d;
  const std::string what = case_name(dtype, {rows, d}, std::string(fused ? "fused qkv" : "kv") +
                                                           (cache_offset ? " unaligned caches" : ""));
  const Tensor qkv = random_float(dtype, {rows, ld}, seed);
  std::vector<Tensor> caches, want;
  std::vector<DeviceTensor> device_caches;
  std::vector<void*> bases;
  for (int i = 0; i < 3; ++i) {
    caches.push_back(random_float(dtype, {layers, 2, capacity, d}, seed + 1 + i));
    want.push_back(caches.back().clone());
    device_caches.push_back(upload(caches.back(), stream, cache_offset));
  }
  for (int64_t r = 0; r < rows; ++r) {
    bases.push_back(device_caches[cache_of[r]].data);
    const int64_t pos = positions[r];
    if (pos < 0 || pos >= capacity) continue;
    for (int64_t j = 0; j < d; ++j) {
      copy_element(qkv, r * ld + k_col + j, want[cache_of[r]], ((layer * 2 + 0) * capacity + pos) * d + j);
      copy_element(qkv, r * ld + v_col + j, want[cache_of[r]], ((layer * 2 + 1) * capacity + pos) * d + j);
    }
  }
  DeviceTensor dq = upload(qkv, stream), dp = upload(int_tensor(positions), stream);
  DeviceTensor db = upload_bytes(bases.data(), bases.size() * sizeof(void*), stream);
  cuda::launch_append_kv(dtype, dq.data, ld, k_col, v_col, static_cast<void* const*>(db.data),
                         static_cast<const int*>(dp.data), rows, d, layer, capacity, stream);
  for (int i = 0; i < 3; ++i)
    expect_same_elements(download(device_caches[i].data, dtype, want[i].shape(), stream), want[i],
                         what + " cache " + std::to_string(i));
}

class CudaAppendKv : public GpuParamTest<DType> {};

TEST_P(CudaAppendKv, MatchesReference) {
  unsigned seed = 500;
  for (int64_t d : {1, 37, 384, 1280})
    for (bool fused : {true, false}) check_append_kv(GetParam(), d, fused, 0, seed += 4, stream());
  check_append_kv(GetParam(), 384, true, 1, 600, stream());
}

TEST_P(CudaAppendKv, NoRowsWritesNothing) {
  const DType dtype = GetParam();
  const Tensor cache = random_float(dtype, {1, 2, 4, 8}, 610);
  DeviceTensor dc = upload(cache, stream());
  const std::vector<void*> bases = {dc.data};
  DeviceTensor db = upload_bytes(bases.data(), sizeof(void*), stream());
  DeviceTensor dp = upload(int_tensor({0}), stream()), dq = poisoned(dtype, 24, stream());
  cuda::launch_append_kv(dtype, dq.data, 24, 8, 16, static_cast<void* const*>(db.data),
                         static_cast<const int*>(dp.data), 0, 8, 0, 4, stream());
  expect_same_elements(download(dc.data, dtype, cache.shape(), stream()), cache, "append_kv rows 0");
}

// ---- conv1d im2col ----

struct Im2colCase {
  int64_t batch, channels, frames_in, stride;
  bool channels_contiguous;  // x (batch, frames, channels) as conv2 reads it; else (batch, channels, frames)
  int64_t batch_pad = 0;     // elements between batches beyond the tensor's own
};

const Im2colCase kIm2colCases[] = {
    {1, 1, 1, 1, false},  {1, 80, 100, 1, false}, {2, 80, 100, 1, false}, {1, 80, 3000, 1, false},
    {2, 128, 33, 1, false, 7}, {1, 37, 33, 2, true}, {3, 130, 65, 2, true}, {2, 384, 64, 2, true},
    {1, 384, 3000, 2, true}, {2, 40, 9, 2, true, 5}, {1, 5, 7, 3, false}, {1, 5, 7, 3, true},
    {2, 3, 1, 2, true},   {2, 3, 2, 2, false},    {0, 80, 10, 1, false},  {2, 0, 10, 1, true},
};

void check_conv_im2col(DType dtype, const Im2colCase& c, unsigned seed, cudaStream_t stream) {
  const int64_t frames_out = (c.frames_in - 1) / c.stride + 1;
  const int64_t channel_stride = c.channels_contiguous ? 1 : c.frames_in;
  const int64_t time_stride = c.channels_contiguous ? c.channels : 1;
  const int64_t batch_stride = c.channels * c.frames_in + c.batch_pad;
  const Tensor x = random_float(dtype, {c.batch * batch_stride}, seed);
  Tensor want(dtype, {c.batch, frames_out, c.channels * 3});  // zeros
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t t = 0; t < frames_out; ++t)
      for (int64_t ch = 0; ch < c.channels; ++ch)
        for (int64_t k = 0; k < 3; ++k) {
          const int64_t f = t * c.stride + k - 1;
          if (f < 0 || f >= c.frames_in) continue;
          copy_element(x, b * batch_stride + ch * channel_stride + f * time_stride, want,
                       (b * frames_out + t) * c.channels * 3 + ch * 3 + k);
        }
  DeviceTensor dx = upload(x, stream), dy = poisoned(dtype, want.numel(), stream);
  cuda::launch_conv_im2col(dtype, dx.data, channel_stride, time_stride, batch_stride, dy.data, c.batch, c.channels,
                           c.frames_in, frames_out, c.stride, stream);
  expect_same_elements(download(dy.data, dtype, want.shape(), stream), want,
                       case_name(dtype, {c.batch, c.channels, c.frames_in},
                                 "stride " + std::to_string(c.stride) +
                                     (c.channels_contiguous ? " channels contiguous" : " frames contiguous")));
}

class CudaConvIm2col : public GpuParamTest<DType> {};

TEST_P(CudaConvIm2col, MatchesReference) {
  unsigned seed = 700;
  for (const Im2colCase& c : kIm2colCases) check_conv_im2col(GetParam(), c, seed++, stream());
}

// More (batch, frame tile) pairs than one pass of the grid (65535 blocks) covers.
TEST_P(CudaConvIm2col, GridLoops) { check_conv_im2col(GetParam(), {2100, 1, 1000, 1, false}, 800, stream()); }

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaResidualLayerNorm, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaBiasGelu, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaEmbedTokens, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaAddPositions, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaAppendKv, ::testing::ValuesIn(kFloatTypes), dtype_param_name);
INSTANTIATE_TEST_SUITE_P(AllTypes, CudaConvIm2col, ::testing::ValuesIn(kFloatTypes), dtype_param_name);

// ---- refused arguments ----

class CudaTransformerOpsErrors : public GpuTest {};

TEST_F(CudaTransformerOpsErrors, NegativeSizesAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 256, stream());
  void* p = d.data;
  auto* f = static_cast<float*>(p);
  auto* ids = static_cast<const int*>(p);
  auto* bases = static_cast<void* const*>(p);
  const DType t = DType::Float32;
  const ErrorCode bad = ErrorCode::InvalidArgument;
  expect_error(bad, [&] { cuda::launch_residual_layer_norm(t, f, p, p, p, p, -1, 8, 1e-5f, stream()); }, "norm rows");
  expect_error(bad, [&] { cuda::launch_residual_layer_norm(t, f, p, p, p, p, 2, -8, 1e-5f, stream()); }, "norm d");
  expect_error(bad, [&] { cuda::launch_bias_gelu(t, p, p, -1, 8, stream()); }, "gelu rows");
  expect_error(bad, [&] { cuda::launch_bias_gelu(t, p, p, 2, -8, stream()); }, "gelu cols");
  expect_error(bad, [&] { cuda::launch_embed_tokens(t, ids, ids, p, p, 1.f, f, -1, 8, stream()); }, "embed rows");
  expect_error(bad, [&] { cuda::launch_add_positions(t, p, p, f, 1, -2, 8, stream()); }, "positions frames");
  expect_error(bad, [&] { cuda::launch_append_kv(t, p, 24, 8, 16, bases, ids, -1, 8, 0, 4, stream()); }, "kv rows");
  expect_error(bad, [&] { cuda::launch_append_kv(t, p, 24, 8, 16, bases, ids, 1, 8, -1, 4, stream()); }, "kv layer");
  expect_error(bad, [&] { cuda::launch_conv_im2col(t, p, 1, 4, 16, p, 1, 4, 4, -4, 1, stream()); }, "im2col frames");
  expect_error(bad, [&] { cuda::launch_conv_im2col(t, p, -1, 4, 16, p, 1, 4, 4, 4, 1, stream()); }, "im2col strides");
  sync();
}

TEST_F(CudaTransformerOpsErrors, BadArgumentsAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 256, stream());
  void* p = d.data;
  auto* f = static_cast<float*>(p);
  auto* ids = static_cast<const int*>(p);
  auto* bases = static_cast<void* const*>(p);
  const DType t = DType::Float32;
  const ErrorCode bad = ErrorCode::InvalidArgument;
  expect_error(bad, [&] { cuda::launch_residual_layer_norm(t, f, p, nullptr, p, p, 2, 8, 1e-5f, stream()); },
               "norm without gamma");
  expect_error(bad, [&] { cuda::launch_residual_layer_norm(t, nullptr, p, p, p, p, 2, 8, 1e-5f, stream()); },
               "norm without residual");
  expect_error(bad, [&] { cuda::launch_bias_gelu(t, p, nullptr, 2, 8, stream()); }, "gelu without bias");
  expect_error(bad, [&] { cuda::launch_embed_tokens(t, nullptr, ids, p, p, 1.f, f, 2, 8, stream()); },
               "embed without tokens");
  expect_error(bad, [&] { cuda::launch_add_positions(t, p, nullptr, f, 1, 2, 8, stream()); },
               "positions without table");
  expect_error(bad, [&] { cuda::launch_append_kv(t, p, 24, 8, 17, bases, ids, 1, 8, 0, 4, stream()); },
               "value columns past qkv_ld");
  expect_error(bad, [&] { cuda::launch_append_kv(t, p, 24, 8, 16, nullptr, ids, 1, 8, 0, 4, stream()); },
               "kv without cache bases");
  expect_error(bad, [&] { cuda::launch_conv_im2col(t, p, 1, 4, 16, p, 1, 4, 4, 4, 0, stream()); }, "im2col stride 0");
  expect_error(ErrorCode::Unsupported, [&] { cuda::launch_bias_gelu(DType::Int32, p, p, 2, 8, stream()); },
               "gelu on int32");
  expect_error(ErrorCode::Unsupported,
               [&] { cuda::launch_residual_layer_norm(DType::Float64, f, p, p, p, p, 2, 8, 1e-5f, stream()); },
               "norm on float64");
  sync();
}

}  // namespace

}  // namespace lre::test
