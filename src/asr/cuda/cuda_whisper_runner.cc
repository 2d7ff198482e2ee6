// The CUDA runner's decoder step, caches and buffers. Between steps only the step table changes;
// a batch size seen twice is captured as a CUDA graph on its third step and replayed after that.
// Every call ends by copying the logits to the host and waiting for them, which also orders the
// host's next write of the pinned table after the device's last read of it.
#include "asr/cuda/cuda_whisper_runner.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/decoder_attention.cuh"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/gemv.cuh"
#include "kernels/cuda/transformer_ops.cuh"
#include "lre/error.h"

namespace lre::asr {

namespace {

constexpr size_t kAlign = 256;
size_t align_up(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// Carves aligned blocks out of one allocation: first with base null to size it, then for real.
class Carver {
 public:
  explicit Carver(void* base = nullptr) : base_(static_cast<char*>(base)) {}
  template <typename T> T* take(size_t count) {
    T* p = reinterpret_cast<T*>(base_ + used_);
    used_ = align_up(used_ + count * sizeof(T));
    return p;
  }
  void* take_bytes(size_t bytes) { return take<char>(bytes); }
  size_t used() const { return used_; }

 private:
  char* base_;
  size_t used_ = 0;
};

}  // namespace

// One step's table (tokens, positions, per-row caches and attention sources) and scratch, laid out
// for step_capacity_ rows. The table has the same layout on the host (staging) and the device.
struct CudaWhisperRunner::Step {
  struct Table {
    int* tokens;
    int* positions;
    void** cache_base;
    lre::cuda::DecoderAttentionSource* self_src;
    lre::cuda::DecoderAttentionSource* cross_src;
  };
  Table host{}, dev{};
  size_t table_bytes = 0;
  float* x = nullptr;       // (rows, d) float32 residual stream
  void* h = nullptr;        // (rows, d) normalised
  void* qkv = nullptr;      // (rows, 3 d)
  void* attn = nullptr;     // (rows, d)
  void* ffn = nullptr;      // (rows, ffn_dim)
  float* logits = nullptr;  // (rows, vocab)
  float* attn_workspace = nullptr;
  unsigned* attn_arrivals = nullptr;  // zeroed once; every attention launch leaves it zero

  static Table carve_table(Carver& c, int64_t rows) {
    const size_t n = static_cast<size_t>(rows);
    Table t;
    t.tokens = c.take<int>(n);
    t.positions = c.take<int>(n);
    t.cache_base = c.take<void*>(n);
    t.self_src = c.take<lre::cuda::DecoderAttentionSource>(n);
    t.cross_src = c.take<lre::cuda::DecoderAttentionSource>(n);
    return t;
  }
};

CudaWhisperRunner::CudaWhisperRunner(std::shared_ptr<const CudaWhisperEngine> engine,
                                     const WhisperRunnerOptions& options)
    : engine_(std::move(engine)),
      w_(engine_->weights()),
      dtype_(engine_->dtype()),
      device_(engine_->device()),
      stream_([&] {
        LRE_CUDA_CHECK(cudaSetDevice(engine_->device()));
        return options.cuda_stream ? lre::cuda::CudaStream::wrap(static_cast<cudaStream_t>(options.cuda_stream))
                                   : lre::cuda::CudaStream(options.priority);
      }()),
      env_(stream_.get(), lre::cuda::DevicePool::of(device_), tuning_),
      pool_(options.threads) {}

CudaWhisperRunner::~CudaWhisperRunner() { clear_graphs(); }

void CudaWhisperRunner::clear_graphs() {
  for (auto& [rows, g] : graphs_)
    if (g.exec) (void)cudaGraphExecDestroy(g.exec);
  graphs_.clear();
}

Tensor CudaWhisperRunner::device_tensor(DType dtype, Shape shape) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  void* p = lre::cuda::DevicePool::of(device_).allocate(bytes, stream_.get());
  const cudaStream_t stream = stream_.get();
  std::shared_ptr<void> storage(p, [stream](void* q) {
    if (q) (void)cudaFreeAsync(q, stream);
  });
  return Tensor::from_storage(std::move(storage), p, dtype, std::move(shape), Device::cuda(device_));
}

KvCache CudaWhisperRunner::make_kv_cache() {
  LRE_CUDA_CHECK(cudaSetDevice(device_));
  const WhisperConfig& c = config();
  return KvCache(c.decoder_layers, c.max_target_positions, c.d_model,
                 device_tensor(dtype_, {c.decoder_layers, 2, c.max_target_positions, c.d_model}));
}

void CudaWhisperRunner::copy_cache(KvCache& dst, const KvCache& src, int length) {
  length = dst.check_copy(src, length);
  if (dst.storage().device() != Device::cuda(device_))
    throw Error(ErrorCode::InvalidArgument, "copy_cache: the caches are not on this runner's device");
  if (&dst != &src && length > 0) {
    LRE_CUDA_CHECK(cudaSetDevice(device_));
    // K and V blocks of every layer are `capacity` rows apart: one strided copy of their first rows.
    const size_t row = static_cast<size_t>(dst.d_model()) * dtype_size(dtype_);
    const size_t pitch = static_cast<size_t>(dst.capacity()) * row;
    LRE_CUDA_CHECK(cudaMemcpy2DAsync(dst.storage().raw(), pitch, src.storage().raw(), pitch,
                                     static_cast<size_t>(length) * row, static_cast<size_t>(dst.layers()) * 2,
                                     cudaMemcpyDeviceToDevice, stream_.get()));
  }
  dst.set_length(length);
}

void CudaWhisperRunner::linear(const void* x, int64_t rows, const DeviceLinear& l, void* y, DType y_dtype,
                               float beta) {
  const void* w = w_.at(l.weight);
  // A decode step's few rows stream the weights once on our kernel; more rows go to cuBLAS.
  if (lre::cuda::gemv_rows_supported(dtype_, rows, l.in, x, w)) {
    lre::cuda::launch_gemv_rows(dtype_, y_dtype, x, w, y, rows, l.in, l.out, beta, stream_.get());
    return;
  }
  // Row-major y = x W^T: W (out, in) is the transposed right operand.
  lre::cuda::gemm(env_.cublas(), dtype_, y_dtype, rows, l.out, l.in, 1.f, {x, l.in, 0, false},
                  {w, l.in, 0, true}, beta, y, l.out, 0, 1);
}

void CudaWhisperRunner::reserve_step(int64_t n) {
  if (n <= step_capacity_) return;
  const WhisperConfig& c = config();
  const int64_t rows = std::max<int64_t>(n, 8);  // room for a beam or a few requests at once
  const int64_t d = c.d_model, max_len = std::max(c.max_target_positions, c.max_source_positions);
  const size_t t = dtype_size(dtype_);

  Carver table_size;
  Step::carve_table(table_size, rows);
  const size_t table_bytes = table_size.used();

  Carver size;
  size.take<float>(static_cast<size_t>(rows * d));
  size.take_bytes(static_cast<size_t>(rows * d) * t);
  size.take_bytes(static_cast<size_t>(rows * 3 * d) * t);
  size.take_bytes(static_cast<size_t>(rows * d) * t);
  size.take_bytes(static_cast<size_t>(rows * c.decoder_ffn_dim) * t);
  size.take<float>(static_cast<size_t>(rows * c.vocab_size));
  const size_t ws = lre::cuda::decoder_attention_workspace_floats(rows, c.decoder_attention_heads, c.head_dim(), max_len);
  size.take<float>(ws);
  const size_t arrivals = static_cast<size_t>(rows * c.decoder_attention_heads);
  size.take<unsigned>(arrivals);

  // Graphs hold the old addresses.
  clear_graphs();
  lre::cuda::DevicePool& pool = lre::cuda::DevicePool::of(device_);
  table_host_.reserve(table_bytes);
  table_dev_ = lre::cuda::DeviceBuffer(pool, table_bytes, stream_.get());
  step_scratch_ = lre::cuda::DeviceBuffer(pool, size.used(), stream_.get());
  logits_host_.reserve(static_cast<size_t>(rows * c.vocab_size) * sizeof(float));

  auto s = std::make_unique<Step>();
  Carver host(table_host_.data()), dev(table_dev_.data());
  s->host = Step::carve_table(host, rows);
  s->dev = Step::carve_table(dev, rows);
  s->table_bytes = table_bytes;
  Carver scratch(step_scratch_.data());
  s->x = scratch.take<float>(static_cast<size_t>(rows * d));
  s->h = scratch.take_bytes(static_cast<size_t>(rows * d) * t);
  s->qkv = scratch.take_bytes(static_cast<size_t>(rows * 3 * d) * t);
  s->attn = scratch.take_bytes(static_cast<size_t>(rows * d) * t);
  s->ffn = scratch.take_bytes(static_cast<size_t>(rows * c.decoder_ffn_dim) * t);
  s->logits = scratch.take<float>(static_cast<size_t>(rows * c.vocab_size));
  s->attn_workspace = scratch.take<float>(ws);
  s->attn_arrivals = scratch.take<unsigned>(arrivals);
  LRE_CUDA_CHECK(cudaMemsetAsync(s->attn_arrivals, 0, arrivals * sizeof(unsigned), stream_.get()));
  step_ = std::move(s);
  step_capacity_ = rows;
}

void CudaWhisperRunner::enqueue_step(int64_t n) {
  const WhisperConfig& c = config();
  const cudaStream_t s = stream_.get();
  const Step& st = *step_;
  const int64_t d = c.d_model, heads = c.decoder_attention_heads, hd = c.head_dim();
  const float eps = c.layer_norm_eps;
  const float embed_scale = c.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.f;
  namespace k = lre::cuda;
  // A decode step's few rows take the fused gemv: the layer norm in its prologue, bias (and GELU)
  // in its epilogue. Larger batches take separate norm kernels and cuBLAS; there a product's bias
  // waits in `pending` and is added to the residual by the next norm.
  const void* any_weight = w_.at(w_.output_proj);  // every tensor of the allocation is 256-byte aligned
  const bool fused = k::gemv_rows_supported(dtype_, n, d, st.x, any_weight) &&
                     k::gemv_rows_supported(dtype_, n, c.decoder_ffn_dim, st.ffn, any_weight);
  const void* pending = nullptr;
  // y = layer_norm(x) W^T (+ bias, GELU when `gelu`); on the fused path, kv (when set) also stores
  // the product's key and value columns into the caches.
  const auto norm_product = [&](const DeviceLayerNorm& ln, const DeviceLinear& l, void* y, DType y_dtype, bool gelu,
                                const k::GemvKvAppend& kv = {}) {
    if (fused) {
      k::GemvFusion f;
      f.residual = st.x;
      f.gamma = w_.at(ln.weight);
      f.beta_ln = w_.at(ln.bias);
      f.eps = eps;
      f.bias = w_.at(l.bias);
      f.gelu = gelu;
      f.kv = kv;
      k::launch_gemv_rows(dtype_, y_dtype, nullptr, w_.at(l.weight), y, n, l.in, l.out, 0.f, s, f);
      return;
    }
    k::launch_residual_layer_norm(dtype_, st.x, pending, w_.at(ln.weight), w_.at(ln.bias), st.h, n, d, eps, s);
    pending = nullptr;
    linear(st.h, n, l, y, y_dtype);
    if (gelu) k::launch_bias_gelu(dtype_, y, w_.at(l.bias), n, l.out, s);
  };
  // x += in W^T + bias.
  const auto add_product = [&](const void* in, const DeviceLinear& l) {
    if (fused) {
      k::GemvFusion f;
      f.bias = w_.at(l.bias);
      k::launch_gemv_rows(dtype_, DType::Float32, in, w_.at(l.weight), st.x, n, l.in, l.out, 1.f, s, f);
      return;
    }
    linear(in, n, l, st.x, DType::Float32, 1.f);
    pending = w_.at(l.bias);
  };

  k::launch_embed_tokens(dtype_, st.dev.tokens, st.dev.positions, w_.at(w_.embed_tokens), w_.at(w_.decoder_positions),
                         embed_scale, st.x, n, d, s);
  for (size_t l = 0; l < w_.decoder_layers.size(); ++l) {
    const DeviceDecoderLayer& L = w_.decoder_layers[l];
    const int64_t layer = static_cast<int64_t>(l);
    // Self-attention: this step's K/V rows join the caches before any row attends.
    const k::GemvKvAppend append{st.dev.cache_base, st.dev.positions, d, d, layer, c.max_target_positions};
    norm_product(L.self_norm, L.self_qkv, st.qkv, dtype_, false, append);
    if (!fused)
      k::launch_append_kv(dtype_, st.qkv, 3 * d, d, 2 * d, st.dev.cache_base, st.dev.positions, n, d, layer,
                          c.max_target_positions, s);
    k::launch_decoder_attention(dtype_, st.qkv, 3 * d, w_.at(L.self_q_bias), st.dev.self_src, layer, st.attn, d, n,
                                heads, hd, c.max_target_positions, st.attn_workspace, st.attn_arrivals, s);
    add_product(st.attn, L.self_out);
    // Cross-attention over the window's K/V, projected once per window by encode().
    norm_product(L.cross_norm, L.cross_q, st.qkv, dtype_, false);
    k::launch_decoder_attention(dtype_, st.qkv, d, w_.at(L.cross_q_bias), st.dev.cross_src, layer, st.attn, d, n,
                                heads, hd, c.max_source_positions, st.attn_workspace, st.attn_arrivals, s);
    add_product(st.attn, L.cross_out);
    // MLP.
    norm_product(L.mlp_norm, L.fc1, st.ffn, dtype_, true);
    add_product(st.ffn, L.fc2);
  }
  norm_product(w_.decoder_norm, {w_.output_proj, kAbsent, c.vocab_size, d}, st.logits, DType::Float32, false);
}

void CudaWhisperRunner::launch_step(int64_t n) {
  const cudaStream_t s = stream_.get();
  Graph& g = graphs_[n];
  if (g.exec) {
    LRE_CUDA_CHECK(cudaGraphLaunch(g.exec, s));
    ++graph_replays_;
    return;
  }
  // The first two steps of a size run eagerly: cuBLAS picks and loads its kernels there, which
  // a capture must not see.
  if (g.launches < 2) {
    enqueue_step(n);
    ++g.launches;
    return;
  }
  LRE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  cudaGraph_t graph = nullptr;
  try {
    enqueue_step(n);
  } catch (...) {
    (void)cudaStreamEndCapture(s, &graph);
    if (graph) (void)cudaGraphDestroy(graph);
    (void)cudaGetLastError();
    throw;
  }
  LRE_CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  const cudaError_t status = cudaGraphInstantiate(&g.exec, graph, 0);
  (void)cudaGraphDestroy(graph);
  LRE_CUDA_CHECK(status);
  LRE_CUDA_CHECK(cudaGraphLaunch(g.exec, s));
}

void CudaWhisperRunner::decode(std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) {
  const WhisperConfig& c = config();
  const int64_t n = static_cast<int64_t>(batch.size());
  std::vector<int> positions(batch.size()), logit_entries(batch.size());
  int64_t max_cross_frames = 0;
  const DecodeLimits limits{c.decoder_layers, c.d_model, c.vocab_size, c.max_target_positions, dtype_,
                            Device::cuda(device_)};
  const int64_t rows = plan_decode(batch, which, limits, positions.data(), logit_entries.data(), max_cross_frames);
  if (max_cross_frames > c.max_source_positions)
    throw Error(ErrorCode::InvalidArgument, "Whisper decoder: a window of " + std::to_string(max_cross_frames) +
                                                " frames exceeds max_source_positions");
  const Shape shape{rows, c.vocab_size};
  if (!logits.defined() || !logits.device().is_cpu() || logits.dtype() != DType::Float32 || logits.shape() != shape)
    logits = Tensor(DType::Float32, shape);
  if (n == 0) return;

  LRE_CUDA_CHECK(cudaSetDevice(device_));
  reserve_step(n);
  Step& st = *step_;
  for (int64_t i = 0; i < n; ++i) {
    const DecodeInput& in = batch[static_cast<size_t>(i)];
    st.host.tokens[i] = in.token;
    st.host.positions[i] = positions[static_cast<size_t>(i)];
    st.host.cache_base[i] = in.cache->storage().raw();
    st.host.self_src[i] = {in.cache->storage().raw(), c.max_target_positions, positions[static_cast<size_t>(i)] + 1};
    st.host.cross_src[i] = {in.cross->storage().raw(), in.cross->frames(), in.cross->frames()};
  }
  const cudaStream_t s = stream_.get();
  LRE_CUDA_CHECK(cudaMemcpyAsync(table_dev_.data(), table_host_.data(), st.table_bytes, cudaMemcpyHostToDevice, s));
  launch_step(n);

  // Logit rows to the host: one copy when every row is wanted, else one per chosen row.
  const size_t row_bytes = static_cast<size_t>(c.vocab_size) * sizeof(float);
  float* staged = logits_host_.data_as<float>();
  if (rows == n) {
    LRE_CUDA_CHECK(cudaMemcpyAsync(staged, st.logits, static_cast<size_t>(n) * row_bytes, cudaMemcpyDeviceToHost, s));
  } else {
    for (int64_t r = 0; r < rows; ++r)
      LRE_CUDA_CHECK(cudaMemcpyAsync(staged + r * c.vocab_size, st.logits + logit_entries[r] * c.vocab_size,
                                     row_bytes, cudaMemcpyDeviceToHost, s));
  }
  stream_.synchronize();  // the logits are this call's result
  std::memcpy(logits.raw(), staged, static_cast<size_t>(rows) * row_bytes);
  for (int64_t i = 0; i < n; ++i)
    if (i + 1 == n || batch[static_cast<size_t>(i + 1)].cache != batch[static_cast<size_t>(i)].cache)
      batch[static_cast<size_t>(i)].cache->set_length(positions[static_cast<size_t>(i)] + 1);
}

}  // namespace lre::asr
