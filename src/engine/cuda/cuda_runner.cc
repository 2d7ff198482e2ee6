// The CUDA run loop. Each node is placed once per input-shape signature:
//   Fixed  - computed from shapes and constants alone: run on the CPU when the plan is made, kept
//            (and uploaded once if the device reads it); never run again for that signature;
//   Device - compute_cuda() on the context's stream;
//   Host   - an op the device does not handle: inputs copied down, CPU kernel, outputs copied up.
//            Each such copy waits for the stream, so plans with Host nodes are never graphed.
// Values are stored on the device in the engine's storage dtype and on the host in their logical
// dtype (float32 under reduced precision), converting whenever they cross.
#include "engine/cuda/cuda_runner.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "device/cuda/cuda_check.h"
#include "device/cuda/device_pool.h"
#include "device/cuda/kernel_env.h"
#include "device/cuda/stream.h"
#include "engine/cuda/device_constants.h"
#include "engine/engine_cache.h"
#include "graph/memory_planner.h"
#include "kernels/cpu/cast.h"
#include "kernels/cuda/elementwise.cuh"

namespace lre {

namespace {

enum class Placement : uint8_t { Fixed, Device, Host };

constexpr size_t kAlignment = 256;

size_t desc_bytes(const TensorDesc& d) { return static_cast<size_t>(shape_numel(d.shape)) * dtype_size(d.dtype); }
size_t align_up(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// What a signature's first run learnt, and what later runs replay.
struct Plan {
  std::vector<TensorDesc> logical;   // per value: dtype and shape as the model defines them
  std::vector<Placement> placement;  // per compiled node
  std::vector<Tensor> host;          // per value: host copies of fixed values
  std::vector<Tensor> dev;           // per value: device views (arena, fixed uploads, constants)
  cuda::DeviceBuffer arena;
  cuda::DeviceBuffer fixed_uploads;
  // Per compiled node: its input and output tensors in `dev` (stable: `dev` never resizes).
  std::vector<std::vector<const Tensor*>> node_in;
  std::vector<std::vector<Tensor*>> node_out;
  std::vector<std::vector<const Tensor*>> node_host_in;
  bool has_host_nodes = false;
  int eager_runs = 0;  // replays without a graph so far
  cudaGraphExec_t graph = nullptr;

  Plan() = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan() {
    if (graph) (void)cudaGraphExecDestroy(graph);
  }
};

}  // namespace

struct CudaRunner::State {
  State(const Engine::Impl& engine, const ContextOptions& opts, ThreadPool& threads, cudaStream_t s,
        std::unique_ptr<cuda::CudaStream> own)
      : e(engine),
        options(opts),
        pool(threads),
        device(engine.options.device.index),
        own_stream(std::move(own)),
        stream(s),
        dpool(cuda::DevicePool::of(device)),
        env(s, dpool, *engine.tuning) {}

  const Engine::Impl& e;
  ContextOptions options;
  ThreadPool& pool;
  int device;
  std::unique_ptr<cuda::CudaStream> own_stream;  // null when the caller gave the stream
  cudaStream_t stream;
  cuda::DevicePool& dpool;
  cuda::KernelEnv env;
  std::map<std::vector<int64_t>, std::unique_ptr<Plan>> plans;
  size_t arena_bytes = 0;
  std::vector<std::string> fallback_nodes;  // of the plan made most recently

  cuda::PinnedBuffer input_staging;   // host inputs on their way up
  cuda::PinnedBuffer output_staging;  // device outputs on their way down (run() only)
  cuda::PinnedBuffer bounce;          // single transfers of Host nodes and eager runs
  cuda::CudaEvent inputs_staged;      // the last run's input copies have read input_staging
  bool staged_pending = false;

  // Eager runs: per value, this run's tensors, and the device memory they own.
  std::vector<Tensor> host, dev;
  std::vector<cuda::DeviceBuffer> eager_buffers;

  // ---- transfers -------------------------------------------------------------------------

  Tensor device_view(void* ptr, DType dtype, const Shape& shape) const {
    return Tensor::wrap(ptr, dtype, shape, Device::cuda(device));
  }

  Tensor eager_alloc(DType dtype, const Shape& shape) {
    eager_buffers.emplace_back(dpool, std::max<size_t>(1, static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype)), stream);
    return device_view(eager_buffers.back().data(), dtype, shape);
  }

  // Host tensor (any dtype) -> device memory `dst` in dtype `to`, through the bounce buffer; waits,
  // since the bounce buffer is reused at once.
  void upload_now(const Tensor& src, void* dst, DType to) {
    const size_t bytes = static_cast<size_t>(src.numel()) * dtype_size(to);
    if (bytes == 0) return;
    bounce.reserve(bytes);
    cpu::cast(src.raw(), src.dtype(), bounce.data(), to, src.numel(), nullptr);
    LRE_CUDA_CHECK(cudaMemcpyAsync(dst, bounce.data(), bytes, cudaMemcpyHostToDevice, stream));
    LRE_CUDA_CHECK(cudaStreamSynchronize(stream));  // LRE_ALLOW_SYNC: a Host node's transfer
  }

  // Device tensor -> new host tensor of dtype `to`.
  Tensor download_now(const Tensor& src, DType to) {
    Tensor out(to, src.shape());
    if (src.nbytes() == 0) return out;
    bounce.reserve(src.nbytes());
    LRE_CUDA_CHECK(cudaMemcpyAsync(bounce.data(), src.raw(), src.nbytes(), cudaMemcpyDeviceToHost, stream));
    LRE_CUDA_CHECK(cudaStreamSynchronize(stream));  // LRE_ALLOW_SYNC: a Host node's transfer
    cpu::cast(bounce.data(), src.dtype(), out.raw(), to, src.numel(), nullptr);
    return out;
  }

  // Device-to-device copy with conversion.
  void convert_on_device(const Tensor& src, void* dst, DType to) {
    if (src.numel() == 0) return;
    if (src.dtype() == to) {
      LRE_CUDA_CHECK(cudaMemcpyAsync(dst, src.raw(), src.nbytes(), cudaMemcpyDeviceToDevice, stream));
    } else {
      cuda::launch_cast(src.dtype(), to, src.raw(), dst, src.numel(), stream);
    }
  }

  Tensor make_device_output(const TensorDesc& d) {
    const size_t bytes = desc_bytes(d);
    void* p = dpool.allocate(bytes, stream);
    // The caller may drop the tensor after this context and its stream are gone.
    cudaStream_t release = cuda::release_stream(device);
    std::shared_ptr<void> storage(p, [release](void* q) {
      if (q) (void)cudaFreeAsync(q, release);
    });
    return Tensor::from_storage(std::move(storage), p, d.dtype, d.shape, Device::cuda(device));
  }

  // ---- one node ----------------------------------------------------------------------------

  Placement place(const CompiledNode& c, const std::vector<const Tensor*>& dev_inputs) const {
    const Node& n = e.graph.nodes[c.node];
    bool fixed = !n.outputs.empty();
    for (int o : n.outputs)
      if (o != kNoValue && !e.value_fixed[o]) fixed = false;
    if (fixed) return Placement::Fixed;
    std::vector<TensorDesc> descs;
    for (const Tensor* t : dev_inputs) descs.push_back(t ? TensorDesc{t->dtype(), t->shape()} : TensorDesc{DType::Float32, {}, false});
    return c.kernel->cuda_supports(descs) ? Placement::Device : Placement::Host;
  }

  // ---- eager run: infer, place, allocate and compute node by node --------------------------

  // Runs every node, filling `record` with descs, placement and fixed values.
  void run_eager(std::span<const Tensor* const> inputs, Plan& plan) {
    Plan* record = &plan;
    const Graph& g = e.graph;
    const size_t nv = g.values.size();
    host.assign(nv, Tensor());
    dev.assign(nv, Tensor());
    eager_buffers.clear();
    for (size_t v = 0; v < nv; ++v) {
      if (!g.values[v].is_constant) continue;
      host[v] = g.values[v].constant;
      if (e.device_constants->values[v].defined()) dev[v] = e.device_constants->values[v];
    }
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int v = g.inputs[k];
      const Tensor& t = *inputs[k];
      const DType logical = e.inputs[k].dtype, storage = e.storage_dtype(logical);
      if (!t.device().is_cpu()) {
        if (t.dtype() == storage) {
          dev[v] = t;
        } else {
          dev[v] = eager_alloc(storage, t.shape());
          convert_on_device(t, dev[v].raw(), storage);
        }
      } else {
        host[v] = t.dtype() == logical ? t : Tensor(logical, t.shape());
        if (t.dtype() != logical) cpu::cast(t.raw(), t.dtype(), host[v].raw(), logical, t.numel(), nullptr);
      }
    }
    record->logical.assign(nv, TensorDesc{});
    record->placement.assign(e.nodes.size(), Placement::Device);
    record->host.assign(nv, Tensor());
    for (size_t v = 0; v < nv; ++v)
      if (g.values[v].is_constant) {
        record->logical[v] = TensorDesc{g.values[v].constant.dtype(), g.values[v].constant.shape()};
        record->host[v] = g.values[v].constant;
      }
    for (size_t k = 0; k < inputs.size(); ++k)
      record->logical[g.inputs[k]] = TensorDesc{e.inputs[k].dtype, inputs[k]->shape()};

    std::vector<const Tensor*> infer_in, node_in, host_in;
    std::vector<Tensor*> node_out;
    std::vector<Tensor> logical_views;
    for (size_t i = 0; i < e.nodes.size(); ++i) {
      const CompiledNode& c = e.nodes[i];
      const Node& n = g.nodes[c.node];
      try {
        const std::vector<int> shape_inputs = c.kernel->shape_value_inputs();
        // Inputs for infer(): host data where shape values are read, logical-dtype views otherwise.
        logical_views.assign(n.inputs.size(), Tensor());
        infer_in.clear();
        node_in.clear();
        for (size_t j = 0; j < n.inputs.size(); ++j) {
          const int v = n.inputs[j];
          if (v == kNoValue) {
            infer_in.push_back(nullptr);
            node_in.push_back(nullptr);
            continue;
          }
          if (!host[v].defined() && contains(shape_inputs, static_cast<int>(j)))
            host[v] = download_now(dev[v], record->logical[v].dtype);
          if (host[v].defined()) {
            infer_in.push_back(&host[v]);
          } else {
            logical_views[j] = device_view(dev[v].raw(), record->logical[v].dtype, dev[v].shape());
            infer_in.push_back(&logical_views[j]);
          }
          node_in.push_back(dev[v].defined() ? &dev[v] : nullptr);
        }
        std::vector<TensorDesc> descs = c.kernel->infer(infer_in);
        if (descs.size() < n.outputs.size())
          throw Error(ErrorCode::Internal, "shape inference gave " + std::to_string(descs.size()) + " outputs, the node has " +
                                               std::to_string(n.outputs.size()));
        // Placement looks at device inputs in storage dtypes; host-only inputs count by their
        // storage form too, since they would be uploaded.
        std::vector<Tensor> would_be(n.inputs.size());
        std::vector<const Tensor*> placed_in;
        for (size_t j = 0; j < n.inputs.size(); ++j) {
          const int v = n.inputs[j];
          if (v == kNoValue) {
            placed_in.push_back(nullptr);
          } else if (dev[v].defined()) {
            placed_in.push_back(&dev[v]);
          } else {
            would_be[j] = device_view(nullptr, e.storage_dtype(host[v].dtype()), host[v].shape());
            placed_in.push_back(&would_be[j]);
          }
        }
        const Placement placement = place(c, placed_in);
        record->placement[i] = placement;
        for (size_t j = 0; j < n.outputs.size(); ++j)
          if (n.outputs[j] != kNoValue) record->logical[n.outputs[j]] = descs[j];

        node_out.clear();
        if (placement == Placement::Device) {
          for (size_t j = 0; j < n.inputs.size(); ++j) {
            const int v = n.inputs[j];
            if (v == kNoValue || dev[v].defined()) continue;
            dev[v] = eager_alloc(e.storage_dtype(host[v].dtype()), host[v].shape());
            upload_now(host[v], dev[v].raw(), dev[v].dtype());
          }
          node_in.clear();
          host_in.clear();
          for (int v : n.inputs) {
            node_in.push_back(v == kNoValue ? nullptr : &dev[v]);
            host_in.push_back(v == kNoValue || !host[v].defined() ? nullptr : &host[v]);
          }
          for (size_t j = 0; j < n.outputs.size(); ++j) {
            const int o = n.outputs[j];
            if (o == kNoValue) {
              node_out.push_back(nullptr);
              continue;
            }
            dev[o] = eager_alloc(e.storage_dtype(descs[j].dtype), descs[j].shape);
            node_out.push_back(&dev[o]);
          }
          KernelContext ctx{node_in, node_out, pool, &env, host_in};
          c.kernel->compute_cuda(ctx);
        } else {
          // Fixed and Host nodes compute on the CPU. Shape and Size read only shapes, so a
          // logical view of device data serves them without a copy.
          const bool shape_only = n.op_type == "Shape" || n.op_type == "Size";
          node_in.clear();
          for (size_t j = 0; j < n.inputs.size(); ++j) {
            const int v = n.inputs[j];
            if (v == kNoValue) {
              node_in.push_back(nullptr);
            } else if (host[v].defined()) {
              node_in.push_back(&host[v]);
            } else if (shape_only) {
              node_in.push_back(infer_in[j]);
            } else {
              host[v] = download_now(dev[v], record->logical[v].dtype);
              node_in.push_back(&host[v]);
            }
          }
          for (size_t j = 0; j < n.outputs.size(); ++j) {
            const int o = n.outputs[j];
            if (o == kNoValue) {
              node_out.push_back(nullptr);
              continue;
            }
            host[o] = Tensor(descs[j].dtype, descs[j].shape);
            node_out.push_back(&host[o]);
          }
          KernelContext ctx{node_in, node_out, pool, nullptr};
          c.kernel->compute(ctx);
          if (placement == Placement::Fixed)
            for (int o : n.outputs)
              if (o != kNoValue) record->host[o] = host[o];
        }
      } catch (...) {
        rethrow_for_node(e.model_name, n);
      }
    }
  }

  // ---- plans ----------------------------------------------------------------------------------

  // Lays the recorded run out in one arena and uploads the fixed values the device reads.
  void finish_plan(Plan& p) {
    const Graph& g = e.graph;
    const size_t nv = g.values.size();
    const int end = static_cast<int>(e.nodes.size());
    std::vector<char> is_input(nv, 0), is_output(nv, 0), device_reads(nv, 0);
    for (int v : g.inputs) is_input[v] = 1;
    for (int v : g.outputs) is_output[v] = 1;
    for (size_t i = 0; i < e.nodes.size(); ++i) {
      if (p.placement[i] == Placement::Fixed) continue;
      const CompiledNode& c = e.nodes[i];
      const std::vector<int> shape_inputs = c.kernel->shape_value_inputs();
      const Node& n = g.nodes[c.node];
      for (size_t j = 0; j < n.inputs.size(); ++j)
        if (n.inputs[j] != kNoValue && !(p.placement[i] == Placement::Host && contains(shape_inputs, static_cast<int>(j))))
          device_reads[n.inputs[j]] = 1;
      if (p.placement[i] == Placement::Host) p.has_host_nodes = true;
    }

    // Arena: graph inputs and everything Device and Host nodes produce.
    std::vector<BufferRequest> requests;
    std::vector<int> ids;
    for (size_t v = 0; v < nv; ++v) {
      if (g.values[v].is_constant) continue;
      const bool from_input = is_input[v];
      const int producer = e.producer[v];
      if (!from_input && (producer < 0 || p.placement[producer] == Placement::Fixed)) continue;
      const TensorDesc storage{e.storage_dtype(p.logical[v].dtype), p.logical[v].shape};
      const int first = from_input ? 0 : producer;
      const int last = is_output[v] ? end : std::max(first, e.last_use[v]);
      requests.push_back({desc_bytes(storage), first, last});
      ids.push_back(static_cast<int>(v));
    }
    const MemoryPlan mp = plan_memory(requests, kAlignment);
    p.arena = cuda::DeviceBuffer(dpool, std::max<size_t>(mp.total, 1), stream);
    p.dev.assign(nv, Tensor());
    for (size_t r = 0; r < ids.size(); ++r) {
      const int v = ids[r];
      p.dev[v] = device_view(p.arena.data_as<char>() + mp.offsets[r], e.storage_dtype(p.logical[v].dtype), p.logical[v].shape);
    }
    arena_bytes = std::max(arena_bytes, mp.total);

    // Fixed values the device reads (or that are outputs), uploaded once.
    std::vector<int> uploads;
    size_t total = 0;
    for (size_t v = 0; v < nv; ++v)
      if (p.host[v].defined() && (device_reads[v] || is_output[v]) &&
          !(g.values[v].is_constant && e.device_constants->values[v].defined())) {
        uploads.push_back(static_cast<int>(v));
        total += align_up(static_cast<size_t>(p.host[v].numel()) * dtype_size(e.storage_dtype(p.host[v].dtype())));
      }
    if (total) {
      p.fixed_uploads = cuda::DeviceBuffer(dpool, total, stream);
      size_t offset = 0;
      for (int v : uploads) {
        const DType storage = e.storage_dtype(p.host[v].dtype());
        p.dev[v] = device_view(p.fixed_uploads.data_as<char>() + offset, storage, p.host[v].shape());
        upload_now(p.host[v], p.dev[v].raw(), storage);
        offset += align_up(p.dev[v].nbytes());
      }
    }
    for (size_t v = 0; v < nv; ++v)
      if (g.values[v].is_constant && e.device_constants->values[v].defined()) p.dev[v] = e.device_constants->values[v];

    p.node_in.assign(e.nodes.size(), {});
    p.node_out.assign(e.nodes.size(), {});
    p.node_host_in.assign(e.nodes.size(), {});
    for (size_t i = 0; i < e.nodes.size(); ++i) {
      const Node& n = g.nodes[e.nodes[i].node];
      for (int v : n.inputs) {
        p.node_in[i].push_back(v == kNoValue ? nullptr : &p.dev[v]);
        p.node_host_in[i].push_back(v == kNoValue || !p.host[v].defined() ? nullptr : &p.host[v]);
      }
      for (int v : n.outputs) p.node_out[i].push_back(v == kNoValue ? nullptr : &p.dev[v]);
    }
  }

  // One replay of a plan's non-fixed nodes.
  void run_steps(Plan& p) {
    const Graph& g = e.graph;
    for (size_t i = 0; i < e.nodes.size(); ++i) {
      if (p.placement[i] == Placement::Fixed) continue;
      const CompiledNode& c = e.nodes[i];
      const Node& n = g.nodes[c.node];
      try {
        if (p.placement[i] == Placement::Device) {
          KernelContext ctx{p.node_in[i], p.node_out[i], pool, &env, p.node_host_in[i]};
          c.kernel->compute_cuda(ctx);
          continue;
        }
        std::vector<Tensor> in(n.inputs.size()), out(n.outputs.size());
        std::vector<const Tensor*> in_ptr;
        std::vector<Tensor*> out_ptr;
        for (size_t j = 0; j < n.inputs.size(); ++j) {
          const int v = n.inputs[j];
          if (v == kNoValue) {
            in_ptr.push_back(nullptr);
            continue;
          }
          in[j] = p.host[v].defined() ? p.host[v] : download_now(p.dev[v], p.logical[v].dtype);
          in_ptr.push_back(&in[j]);
        }
        for (size_t j = 0; j < n.outputs.size(); ++j) {
          const int o = n.outputs[j];
          if (o != kNoValue) out[j] = Tensor(p.logical[o].dtype, p.logical[o].shape);
          out_ptr.push_back(o == kNoValue ? nullptr : &out[j]);
        }
        KernelContext ctx{in_ptr, out_ptr, pool, nullptr};
        c.kernel->compute(ctx);
        for (size_t j = 0; j < n.outputs.size(); ++j)
          if (n.outputs[j] != kNoValue) upload_now(out[j], p.dev[n.outputs[j]].raw(), p.dev[n.outputs[j]].dtype());
      } catch (...) {
        rethrow_for_node(e.model_name, n);
      }
    }
  }

  // Captures run_steps into a CUDA graph and launches it.
  void capture_and_launch(Plan& p) {
    LRE_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    cudaGraph_t graph = nullptr;
    try {
      run_steps(p);
    } catch (...) {
      (void)cudaStreamEndCapture(stream, &graph);
      if (graph) (void)cudaGraphDestroy(graph);
      (void)cudaGetLastError();
      throw;
    }
    LRE_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
    const cudaError_t status = cudaGraphInstantiate(&p.graph, graph, 0);
    (void)cudaGraphDestroy(graph);
    LRE_CUDA_CHECK(status);
    LRE_CUDA_CHECK(cudaGraphLaunch(p.graph, stream));
  }

  // Copies the caller's inputs into the plan's arena slots.
  void copy_inputs_in(Plan& p, std::span<const Tensor* const> inputs) {
    size_t staged = 0;
    for (size_t k = 0; k < inputs.size(); ++k)
      if (inputs[k]->device().is_cpu()) staged += align_up(p.dev[e.graph.inputs[k]].nbytes());
    if (staged) {
      // The previous run's copies must have read the staging buffer before it is overwritten;
      // normally long done, so this wait costs nothing.
      if (staged_pending) inputs_staged.synchronize();
      input_staging.reserve(staged);
    }
    size_t offset = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const Tensor& t = *inputs[k];
      Tensor& slot = p.dev[e.graph.inputs[k]];
      if (!t.device().is_cpu()) {
        convert_on_device(t, slot.raw(), slot.dtype());
        continue;
      }
      if (slot.nbytes() == 0) continue;
      char* pinned = input_staging.data_as<char>() + offset;
      cpu::cast(t.raw(), t.dtype(), pinned, slot.dtype(), t.numel(), nullptr);
      LRE_CUDA_CHECK(cudaMemcpyAsync(slot.raw(), pinned, slot.nbytes(), cudaMemcpyHostToDevice, stream));
      offset += align_up(slot.nbytes());
    }
    if (staged) {
      inputs_staged.record(stream);
      staged_pending = true;
    }
  }

  // Writes graph outputs into the caller's tensors (or fresh ones). Host outputs wait for the stream.
  void copy_outputs_out(const std::vector<Tensor>& dev_values, const std::vector<Tensor>& host_values,
                        const std::vector<TensorDesc>& logical, std::vector<Tensor>& outputs, bool wait) {
    const Graph& g = e.graph;
    outputs.resize(g.outputs.size());
    struct Pending {
      size_t k, offset;
      DType from;
    };
    std::vector<Pending> pending;
    size_t staged = 0;
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      const int v = g.outputs[k];
      const TensorDesc& d = logical[v];
      Tensor& dst = outputs[k];
      const bool fits = dst.defined() && dst.dtype() == d.dtype && dst.shape() == d.shape &&
                        (dst.device().is_cpu() || dst.device() == Device::cuda(device)) && (wait || !dst.device().is_cpu());
      if (!fits) {
        if (!wait && dst.defined() && dst.device().is_cpu())
          throw Error(ErrorCode::InvalidArgument, e.model_name + ": output '" + e.outputs[k].name +
                                                      "' is a host tensor; enqueue() writes device outputs (use run())");
        dst = (!wait || !options.output_device.is_cpu()) ? make_device_output(d) : Tensor(d.dtype, d.shape);
      }
      const Tensor& src_dev = dev_values[v];
      if (!dst.device().is_cpu()) {
        if (src_dev.defined()) convert_on_device(src_dev, dst.raw(), d.dtype);
        else upload_now(host_values[v], dst.raw(), d.dtype);
      } else if (!src_dev.defined()) {
        cpu::cast(host_values[v].raw(), host_values[v].dtype(), dst.raw(), d.dtype, dst.numel(), nullptr);
      } else if (src_dev.nbytes()) {
        pending.push_back({k, staged, src_dev.dtype()});
        staged += align_up(src_dev.nbytes());
      }
    }
    if (!pending.empty()) {
      output_staging.reserve(staged);
      for (const Pending& q : pending) {
        const Tensor& src = dev_values[g.outputs[q.k]];
        LRE_CUDA_CHECK(cudaMemcpyAsync(output_staging.data_as<char>() + q.offset, src.raw(), src.nbytes(),
                                       cudaMemcpyDeviceToHost, stream));
      }
    }
    if (!wait) return;
    LRE_CUDA_CHECK(cudaStreamSynchronize(stream));  // LRE_ALLOW_SYNC: run() returns finished results
    for (const Pending& q : pending)
      cpu::cast(output_staging.data_as<char>() + q.offset, q.from, outputs[q.k].raw(), outputs[q.k].dtype(),
                outputs[q.k].numel(), nullptr);
  }
};

CudaRunner::CudaRunner(const Engine::Impl& engine, const ContextOptions& options, ThreadPool& pool) {
  LRE_CUDA_CHECK(cudaSetDevice(engine.options.device.index));
  std::unique_ptr<cuda::CudaStream> own;
  cudaStream_t stream = nullptr;
  if (options.cuda_stream) {
    // Validates the handle (refuses the default streams); the caller keeps it alive.
    stream = cuda::CudaStream::wrap(static_cast<cudaStream_t>(options.cuda_stream)).get();
  } else {
    own = std::make_unique<cuda::CudaStream>(options.priority);
    stream = own->get();
  }
  s_ = std::make_unique<State>(engine, options, pool, stream, std::move(own));
}

CudaRunner::~CudaRunner() = default;

void* CudaRunner::stream() const { return s_->stream; }
size_t CudaRunner::arena_bytes() const { return s_->arena_bytes; }
std::vector<std::string> CudaRunner::cpu_fallback_nodes() const { return s_->fallback_nodes; }

void CudaRunner::synchronize() {
  LRE_CUDA_CHECK(cudaStreamSynchronize(s_->stream));  // LRE_ALLOW_SYNC: the caller asked to wait
}

void CudaRunner::run(std::span<const Tensor* const> inputs, std::vector<Tensor>& outputs, bool wait) {
  State& s = *s_;
  const Engine::Impl& e = s.e;
  LRE_CUDA_CHECK(cudaSetDevice(s.device));
  for (size_t k = 0; k < inputs.size(); ++k)
    if (!inputs[k]->device().is_cpu() && inputs[k]->device() != Device::cuda(s.device))
      throw Error(ErrorCode::InvalidArgument, e.model_name + ": input '" + e.inputs[k].name + "' is on " +
                                                  inputs[k]->device().to_string() + ", the engine runs on " +
                                                  Device::cuda(s.device).to_string());

  std::vector<int64_t> signature;
  for (const Tensor* t : inputs) {
    signature.push_back(t->rank());
    signature.insert(signature.end(), t->shape().begin(), t->shape().end());
  }
  auto found = s.plans.find(signature);
  if (found == s.plans.end() || !e.shapes_follow_inputs) {
    // First run of this signature (or an engine whose shapes follow the data): eager.
    auto plan = std::make_unique<Plan>();
    s.run_eager(inputs, *plan);
    // The algorithms this first run timed go to the cache entry now, not only when the engine
    // goes: a process that never unloads its engines (a server killed on deploy) still leaves
    // them for the next start. First runs only, so never in steady state.
    if (e.cache && e.tuning->changed()) e.cache->save_tuning(*e.tuning);
    s.fallback_nodes.clear();
    for (size_t i = 0; i < e.nodes.size(); ++i)
      if (plan->placement[i] == Placement::Host) s.fallback_nodes.push_back(e.graph.nodes[e.nodes[i].node].label());
    s.copy_outputs_out(s.dev, s.host, plan->logical, outputs, wait);
    s.eager_buffers.clear();  // freed in stream order, after the copies above
    s.host.clear();
    s.dev.clear();
    if (e.shapes_follow_inputs) {
      s.finish_plan(*plan);
      s.plans.emplace(std::move(signature), std::move(plan));
    }
    return;
  }

  Plan& p = *found->second;
  s.copy_inputs_in(p, inputs);
  if (p.graph) {
    LRE_CUDA_CHECK(cudaGraphLaunch(p.graph, s.stream));
  } else if (s.options.cuda_graphs && !p.has_host_nodes && p.eager_runs >= 1) {
    // The second replay: every lazy load and handle creation happened in earlier runs.
    s.capture_and_launch(p);
  } else {
    s.run_steps(p);
    ++p.eager_runs;
  }
  s.copy_outputs_out(p.dev, p.host, p.logical, outputs, wait);
}

}  // namespace lre
