// launch_decoder_attention against a float64 softmax-attention loop written here, for every float
// dtype: rows of lengths 1 to 1500 in caches of several capacities, rows sharing a cache or a whole
// source, with and without a query bias, head sizes from 1 to 128 (16-byte, narrower and element
// loads, unaligned caches), lengths that change between launches and graph replays of one grid,
// lengths outside the cache, a workspace guarded against overruns, arrival counters left zero for
// the next launch, and the refused arguments.
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/decoder_attention.cuh"

namespace lre::test {

namespace {

// Caches hold (layers, 2, capacity, d); the launches read layer 1 of 2, so a kernel that ignored
// the layer would read the wrong rows.
constexpr int64_t kLayers = 2, kLayer = 1;
// Floats past the workspace the launcher asked for, which must stay poisoned.
constexpr int64_t kWorkspaceGuard = 4096;

struct RowSpec {
  int cache;   // which of the case's caches the row attends
  int length;  // keys attended
};

struct AttentionCase {
  int64_t heads, head_dim;
  std::vector<int> capacities;  // one cache each
  std::vector<RowSpec> rows;
  int max_length;
  bool fused = true;         // q rows 3 * d apart (self-attention's qkv product), else d (cross)
  bool with_bias = true;
  int64_t cache_offset = 0;  // elements each cache is shifted by from its allocation
};

std::string describe(DType dtype, const AttentionCase& c) {
  return std::string(dtype_name(dtype)) + " heads " + std::to_string(c.heads) + " head_dim " +
         std::to_string(c.head_dim) + " rows " + std::to_string(c.rows.size()) + " max_length " +
         std::to_string(c.max_length) + (c.fused ? " fused q" : " cross q") + (c.with_bias ? " bias" : " no bias") +
         (c.cache_offset ? " caches offset " + std::to_string(c.cache_offset) : "");
}

DeviceTensor upload_bytes(const void* p, size_t bytes, cudaStream_t stream) {
  DeviceTensor d{cuda::DeviceBuffer(cuda::DevicePool::current(), bytes + 1, stream), nullptr};
  d.data = d.buffer.data();
  if (bytes) LRE_CUDA_CHECK(cudaMemcpyAsync(d.data, p, bytes, cudaMemcpyHostToDevice, stream));
  return d;
}

void repoison(const DeviceTensor& t, cudaStream_t stream) {
  LRE_CUDA_CHECK(cudaMemsetAsync(t.buffer.data(), 0xFF, t.buffer.size(), stream));
}

// One case's inputs on host and device. Lengths can be changed between launches: the sources
// array is rewritten in place, as the decoder does between graph replays.
class AttentionRun {
 public:
  AttentionRun(DType dtype, AttentionCase c, unsigned seed, cudaStream_t stream)
      : dtype_(dtype), c_(std::move(c)), stream_(stream), rows_(static_cast<int64_t>(c_.rows.size())),
        d_(c_.heads * c_.head_dim), q_ld_(c_.fused ? 3 * d_ : d_), out_ld_(d_ + 3) {
    q_ = random_float(dtype, {rows_, q_ld_}, seed, -1.0, 1.0);
    bias_ = random_float(dtype, {d_}, seed + 1, -0.5, 0.5);
    dq_ = upload(q_, stream);
    dbias_ = upload(bias_, stream);
    for (size_t i = 0; i < c_.capacities.size(); ++i) {
      const Tensor cache = random_float(dtype, {kLayers, 2, c_.capacities[i], d_}, seed + 2 + static_cast<unsigned>(i),
                                        -1.0, 1.0);
      cache_values_.push_back(to_doubles(cache));
      caches_.push_back(upload(cache, stream, c_.cache_offset));
    }
    sources_ = DeviceTensor{cuda::DeviceBuffer(cuda::DevicePool::current(),
                                               sizeof(cuda::DecoderAttentionSource) * c_.rows.size() + 1, stream),
                            nullptr};
    sources_.data = sources_.buffer.data();
    workspace_floats_ = static_cast<int64_t>(
        cuda::decoder_attention_workspace_floats(rows_, c_.heads, c_.head_dim, c_.max_length));
    workspace_ = poisoned(DType::Float32, workspace_floats_ + kWorkspaceGuard, stream);
    arrivals_ = poisoned(DType::Int32, rows_ * c_.heads, stream);
    LRE_CUDA_CHECK(cudaMemsetAsync(arrivals_.data, 0, static_cast<size_t>(rows_ * c_.heads) * sizeof(unsigned), stream));
    out_ = poisoned(dtype, rows_ * out_ld_, stream);
    std::vector<int> lengths;
    for (const RowSpec& r : c_.rows) lengths.push_back(r.length);
    set_lengths(lengths);
  }

  void set_lengths(const std::vector<int>& lengths) {
    host_sources_.clear();
    for (size_t r = 0; r < c_.rows.size(); ++r) {
      c_.rows[r].length = lengths[r];
      const int cache = c_.rows[r].cache;
      host_sources_.push_back({caches_[static_cast<size_t>(cache)].data, c_.capacities[static_cast<size_t>(cache)],
                               lengths[r]});
    }
    if (!host_sources_.empty())
      LRE_CUDA_CHECK(cudaMemcpyAsync(sources_.data, host_sources_.data(),
                                     host_sources_.size() * sizeof(cuda::DecoderAttentionSource),
                                     cudaMemcpyHostToDevice, stream_));
  }

  // Fresh poison in the output and the workspace, so stale results from a previous launch count
  // as unwritten.
  void repoison_outputs() const {
    repoison(out_, stream_);
    repoison(workspace_, stream_);
  }

  void launch() const {
    cuda::launch_decoder_attention(dtype_, dq_.data, q_ld_, c_.with_bias ? dbias_.data : nullptr,
                                   static_cast<const cuda::DecoderAttentionSource*>(sources_.data), kLayer, out_.data,
                                   out_ld_, rows_, c_.heads, c_.head_dim, c_.max_length,
                                   static_cast<float*>(workspace_.data), static_cast<unsigned*>(arrivals_.data),
                                   stream_);
  }

  // (rows, d) in float64: softmax(q_h . K_t) V_t over the keys a row attends (min(length, capacity),
  // none below 1).
  std::vector<double> reference() const {
    const std::vector<double> q = to_doubles(q_), bias = to_doubles(bias_);
    const int64_t hd = c_.head_dim;
    std::vector<double> out(static_cast<size_t>(rows_ * d_), 0.0);
    for (int64_t r = 0; r < rows_; ++r) {
      const RowSpec& spec = c_.rows[static_cast<size_t>(r)];
      const int64_t capacity = c_.capacities[static_cast<size_t>(spec.cache)];
      const int64_t n = std::max<int64_t>(0, std::min<int64_t>(spec.length, capacity));
      const std::vector<double>& cache = cache_values_[static_cast<size_t>(spec.cache)];
      const size_t key0 = static_cast<size_t>(kLayer * 2 * capacity * d_);
      const size_t value0 = static_cast<size_t>((kLayer * 2 + 1) * capacity * d_);
      for (int64_t h = 0; h < c_.heads; ++h) {
        std::vector<double> qh(static_cast<size_t>(hd)), scores(static_cast<size_t>(n));
        for (int64_t j = 0; j < hd; ++j)
          qh[static_cast<size_t>(j)] = q[static_cast<size_t>(r * q_ld_ + h * hd + j)] +
                                       (c_.with_bias ? bias[static_cast<size_t>(h * hd + j)] : 0.0);
        double m = -INFINITY;
        for (int64_t t = 0; t < n; ++t) {
          double s = 0.0;
          for (int64_t j = 0; j < hd; ++j)
            s += qh[static_cast<size_t>(j)] * cache[key0 + static_cast<size_t>(t * d_ + h * hd + j)];
          scores[static_cast<size_t>(t)] = s;
          m = std::max(m, s);
        }
        double sum = 0.0;
        for (double& s : scores) sum += (s = std::exp(s - m));
        for (int64_t t = 0; t < n; ++t)
          for (int64_t j = 0; j < hd; ++j)
            out[static_cast<size_t>(r * d_ + h * hd + j)] +=
                scores[static_cast<size_t>(t)] / sum * cache[value0 + static_cast<size_t>(t * d_ + h * hd + j)];
      }
    }
    return out;
  }

  // Waits, then compares the d attended columns of every row with the reference and checks that
  // the columns past d and the workspace guard were not written.
  void check(const std::string& what) const {
    const std::vector<double> want = reference();
    const std::vector<double> got = to_doubles(download(out_.data, dtype_, {rows_, out_ld_}, stream_));
    const double rtol = relative_tolerance(dtype_);
    // Past the final rounding (relative), only float32 accumulation separates the kernel from float64.
    const double atol = dtype_ == DType::Float32 ? 1e-5 : 1e-4;
    int64_t bad = 0;
    for (int64_t r = 0; r < rows_; ++r)
      for (int64_t j = 0; j < out_ld_; ++j) {
        const double g = got[static_cast<size_t>(r * out_ld_ + j)];
        if (j >= d_) {
          if (!std::isnan(g) && bad++ < 5)
            ADD_FAILURE() << what << ": row " << r << " column " << j << " past d was written";
          continue;
        }
        const double w = want[static_cast<size_t>(r * d_ + j)];
        if (std::fabs(g - w) <= atol + rtol * std::fabs(w)) continue;
        if (bad++ < 5)
          ADD_FAILURE() << what << ": row " << r << " (length " << c_.rows[static_cast<size_t>(r)].length << ") column "
                        << j << " is " << g << ", expected " << w;
      }
    EXPECT_EQ(bad, 0) << what << ": " << bad << " elements differ";
    const Tensor guard = download(static_cast<float*>(workspace_.data) + workspace_floats_, DType::Float32,
                                  {kWorkspaceGuard}, stream_);
    const auto* bytes = static_cast<const unsigned char*>(guard.raw());
    for (size_t i = 0; i < guard.nbytes(); ++i)
      ASSERT_EQ(bytes[i], 0xFF) << what << ": workspace written " << i << " bytes past its size";
    // The next launch (a later step, the next layer) counts its splits from zero.
    const Tensor arrivals = download(arrivals_.data, DType::Int32, {rows_ * c_.heads}, stream_);
    for (int64_t i = 0; i < rows_ * c_.heads; ++i)
      ASSERT_EQ(arrivals.data<int32_t>()[i], 0) << what << ": arrival counter " << i << " left non-zero";
  }

  int64_t rows() const { return rows_; }

 private:
  DType dtype_;
  AttentionCase c_;
  cudaStream_t stream_;
  int64_t rows_, d_, q_ld_, out_ld_;
  Tensor q_, bias_;
  std::vector<std::vector<double>> cache_values_;
  DeviceTensor dq_, dbias_, sources_, workspace_, arrivals_, out_;
  std::vector<DeviceTensor> caches_;
  std::vector<cuda::DecoderAttentionSource> host_sources_;
  int64_t workspace_floats_ = 0;
};

void check_case(DType dtype, const AttentionCase& c, unsigned seed, cudaStream_t stream) {
  AttentionRun run(dtype, c, seed, stream);
  run.launch();
  run.check(describe(dtype, c));
}

// Caches of capacity 448 (self-attention), 64 and 1500 (cross-attention); lengths on both sides
// of the split size, rows 2 and 3 sharing cache 2, rows 2 and 4 the very same source.
const std::vector<int> kCapacities = {448, 448, 64, 1500};
const std::vector<RowSpec> kRows = {{0, 1}, {1, 2}, {2, 63}, {2, 64}, {2, 63}, {3, 65}, {0, 448}, {3, 1500}};

class CudaDecoderAttention : public GpuParamTest<DType> {};

TEST_P(CudaDecoderAttention, MatchesReference) {
  const DType dtype = GetParam();
  unsigned seed = 1;
  for (bool fused : {true, false})
    for (bool with_bias : {true, false})
      check_case(dtype, {6, 64, kCapacities, kRows, 1500, fused, with_bias}, seed += 10, stream());
}

// Head sizes that tile into 16-byte loads (64, 128, 40, 16), only narrower ones (20, 6) or none
// (37, 1).
TEST_P(CudaDecoderAttention, HeadSizes) {
  const DType dtype = GetParam();
  unsigned seed = 100;
  for (int64_t head_dim : {128, 40, 16, 20, 6, 37, 1})
    for (bool with_bias : {true, false})
      check_case(dtype, {3, head_dim, kCapacities, kRows, 1500, true, with_bias}, seed += 10, stream());
}

// Caches off a 16-byte boundary take element loads, decided on the device per row.
TEST_P(CudaDecoderAttention, UnalignedCaches) {
  const DType dtype = GetParam();
  for (int64_t offset : {1, 2, 4})
    check_case(dtype, {6, 64, kCapacities, kRows, 1500, true, true, offset}, 200 + static_cast<unsigned>(offset),
               stream());
}

// A single row (batch 1), the self-attention bound, no rows, and the largest model's 20 heads.
TEST_P(CudaDecoderAttention, Shapes) {
  const DType dtype = GetParam();
  check_case(dtype, {6, 64, {448}, {{0, 17}}, 448}, 300, stream());
  check_case(dtype, {8, 64, {448}, {{0, 1}}, 448}, 310, stream());
  check_case(dtype, {6, 64, {448}, {}, 448}, 320, stream());
  check_case(dtype, {20, 64, {1500, 1500}, {{0, 1500}, {1, 777}, {0, 3}, {1, 1500}, {0, 64}}, 1500, false}, 330,
             stream());
}

// Seventy rows of random lengths over ten caches, as a large beam-search batch.
TEST_P(CudaDecoderAttention, ManyRows) {
  std::mt19937 rng(400);
  std::uniform_int_distribution<int> length(1, 448), cache(0, 9);
  std::vector<RowSpec> rows;
  for (int r = 0; r < 70; ++r) rows.push_back({cache(rng), length(rng)});
  check_case(GetParam(), {6, 64, std::vector<int>(10, 448), rows, 448}, 410, stream());
}

// Lengths below 1 give zeros; lengths past the capacity attend the whole cache and no further.
TEST_P(CudaDecoderAttention, LengthsOutsideTheCache) {
  check_case(GetParam(), {4, 64, {64, 100}, {{0, 0}, {0, -3}, {0, 100}, {1, 100}, {0, 5}}, 128}, 500, stream());
}

// One launch configuration (same max_length, same arguments) serves new lengths each time: the
// lengths are read from device memory, both by plain relaunches and by replays of a graph
// captured once.
TEST_P(CudaDecoderAttention, LengthsChangeBetweenLaunches) {
  const DType dtype = GetParam();
  const std::vector<std::vector<int>> steps = {{5, 100, 1}, {300, 1, 448}, {64, 65, 2}, {1, 1, 1}, {448, 447, 129}};
  for (bool graph : {false, true}) {
    AttentionRun run(dtype, {6, 64, {448, 448}, {{0, 5}, {1, 100}, {0, 1}}, 448}, 600, stream());
    cudaGraph_t g = nullptr;
    cudaGraphExec_t exec = nullptr;
    if (graph) {
      LRE_CUDA_CHECK(cudaStreamBeginCapture(stream(), cudaStreamCaptureModeThreadLocal));
      run.launch();
      LRE_CUDA_CHECK(cudaStreamEndCapture(stream(), &g));
      LRE_CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
    }
    for (const std::vector<int>& lengths : steps) {
      run.set_lengths(lengths);
      run.repoison_outputs();
      if (graph) LRE_CUDA_CHECK(cudaGraphLaunch(exec, stream()));
      else run.launch();
      std::string what = std::string(dtype_name(dtype)) + (graph ? " graph replay" : " relaunch") + " lengths";
      for (int l : lengths) what.append(" ").append(std::to_string(l));
      run.check(what);
    }
    if (graph) {
      LRE_CUDA_CHECK(cudaGraphExecDestroy(exec));
      LRE_CUDA_CHECK(cudaGraphDestroy(g));
    }
  }
}

std::string dtype_param_name(const ::testing::TestParamInfo<DType>& info) { return dtype_name(info.param); }

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaDecoderAttention, ::testing::ValuesIn(kFloatTypes), dtype_param_name);

class CudaDecoderAttentionErrors : public GpuTest {};

// The workspace grows with every size it depends on and is empty for no rows.
TEST_F(CudaDecoderAttentionErrors, WorkspaceSizes) {
  EXPECT_EQ(cuda::decoder_attention_workspace_floats(0, 6, 64, 1500), 0u);
  const size_t base = cuda::decoder_attention_workspace_floats(5, 6, 64, 448);
  EXPECT_GT(base, 0u);
  EXPECT_GT(cuda::decoder_attention_workspace_floats(6, 6, 64, 448), base);
  EXPECT_GT(cuda::decoder_attention_workspace_floats(5, 7, 64, 448), base);
  EXPECT_GT(cuda::decoder_attention_workspace_floats(5, 6, 65, 448), base);
  EXPECT_GT(cuda::decoder_attention_workspace_floats(5, 6, 64, 1500), base);
  expect_error(ErrorCode::InvalidArgument, [] { cuda::decoder_attention_workspace_floats(-1, 6, 64, 448); },
               "workspace for negative rows");
  expect_error(ErrorCode::InvalidArgument, [] { cuda::decoder_attention_workspace_floats(5, 6, 129, 448); },
               "workspace for head_dim 129");
}

TEST_F(CudaDecoderAttentionErrors, BadArgumentsAreRefused) {
  DeviceTensor d = poisoned(DType::Float32, 4096, stream());
  void* p = d.data;
  auto* ws = static_cast<float*>(p);
  auto* arrivals = static_cast<unsigned*>(p);
  auto* src = static_cast<const cuda::DecoderAttentionSource*>(p);
  const DType t = DType::Float32;
  const ErrorCode bad = ErrorCode::InvalidArgument;
  auto launch = [&](DType dtype, const void* q, int64_t q_ld, const cuda::DecoderAttentionSource* sources,
                    void* out, int64_t out_ld, int64_t rows, int64_t heads, int64_t head_dim, int max_length,
                    float* workspace, unsigned* counters) {
    cuda::launch_decoder_attention(dtype, q, q_ld, nullptr, sources, 0, out, out_ld, rows, heads, head_dim,
                                   max_length, workspace, counters, stream());
  };
  expect_error(bad, [&] { launch(t, p, 128, src, p, 128, -1, 2, 64, 64, ws, arrivals); }, "negative rows");
  expect_error(bad, [&] { launch(t, p, 128, src, p, 128, 1, 0, 64, 64, ws, arrivals); }, "no heads");
  expect_error(bad, [&] { launch(t, p, 128, src, p, 128, 1, 2, 0, 64, ws, arrivals); }, "head_dim 0");
  expect_error(bad, [&] { launch(t, p, 258, src, p, 258, 1, 2, 129, 64, ws, arrivals); }, "head_dim 129");
  expect_error(bad, [&] { launch(t, p, 128, src, p, 128, 1, 2, 64, 0, ws, arrivals); }, "max_length 0");
  expect_error(bad, [&] { launch(t, p, 127, src, p, 128, 1, 2, 64, 64, ws, arrivals); }, "q_ld below d");
  expect_error(bad, [&] { launch(t, p, 128, src, p, 100, 1, 2, 64, 64, ws, arrivals); }, "out_ld below d");
  expect_error(bad, [&] { launch(t, nullptr, 128, src, p, 128, 1, 2, 64, 64, ws, arrivals); }, "no q");
  expect_error(bad, [&] { launch(t, p, 128, nullptr, p, 128, 1, 2, 64, 64, ws, arrivals); }, "no sources");
  expect_error(bad, [&] { launch(t, p, 128, src, nullptr, 128, 1, 2, 64, 64, ws, arrivals); }, "no out");
  expect_error(bad, [&] { launch(t, p, 128, src, p, 128, 1, 2, 64, 64, nullptr, arrivals); }, "no workspace");
  expect_error(bad, [&] { launch(t, p, 128, src, p, 128, 1, 2, 64, 64, ws, nullptr); }, "no arrival counters");
  expect_error(ErrorCode::Unsupported, [&] { launch(DType::Int32, p, 128, src, p, 128, 1, 2, 64, 64, ws, arrivals); },
               "int32");
  sync();
}

}  // namespace

}  // namespace lre::test
