// Running an engine. The first run with a new input-shape signature infers every shape, allocates
// as it goes and records a plan; the memory planner then packs the intermediates into one arena.
// Later runs with that signature reuse the arena (no allocation) and, when the engine's shapes
// follow from input shapes alone, skip shape inference too.
#include <cstdlib>
#include <cstring>
#include <map>

#include "engine/engine_impl.h"
#include "graph/memory_planner.h"
#if LRE_WITH_CUDA
#include "engine/cuda/cuda_runner.h"
#endif

namespace lre {

namespace {

struct Plan {
  std::vector<TensorDesc> descs;  // per value produced by a node
  std::vector<int64_t> offsets;   // per value: arena offset, -1 when not in the arena
  size_t arena_bytes = 0;
};

bool matches(const Tensor& t, const TensorDesc& d) {
  return t.defined() && t.device().is_cpu() && t.dtype() == d.dtype && t.shape() == d.shape;
}

size_t desc_bytes(const TensorDesc& d) { return static_cast<size_t>(shape_numel(d.shape)) * dtype_size(d.dtype); }

// Message strings are built only on failure: a valid run pays for comparisons alone. CUDA engines
// take host or device tensors, in the declared dtype or the engine's storage dtype for it.
void validate_input(const Engine::Impl& e, const TensorInfo& info, const Tensor& t) {
  auto fail_input = [&](const std::string& why) {
    throw Error(ErrorCode::InvalidArgument, e.model_name + ": input '" + info.name + "' " + why);
  };
  if (!t.defined()) fail_input("is an undefined tensor");
  if (!t.device().is_cpu() && t.device() != e.options.device)
    fail_input("is on " + t.device().to_string() + ", the engine runs on " + e.options.device.to_string());
  if (t.dtype() != info.dtype && t.dtype() != e.storage_dtype(info.dtype))
    fail_input(std::string("expects ") + dtype_name(info.dtype) + ", got " + dtype_name(t.dtype()));
  if (t.numel() > 0 && t.raw() == nullptr) fail_input("has no data");
  if (!info.shape_known) return;
  if (t.rank() != info.shape.size())
    fail_input("expects rank " + std::to_string(info.shape.size()) + " " + info.shape_string() + ", got shape " +
               shape_to_string(t.shape()));
  for (size_t i = 0; i < info.shape.size(); ++i)
    if (!info.shape[i].is_dynamic() && info.shape[i].value != t.dim(i))
      fail_input("expects dimension " + std::to_string(i) + " to be " + std::to_string(info.shape[i].value) + " " +
                 info.shape_string() + ", got shape " + shape_to_string(t.shape()));
}

}  // namespace

struct ExecutionContext::State {
  explicit State(int threads) : pool(threads) {}
  ThreadPool pool;
#if LRE_WITH_CUDA
  std::unique_ptr<CudaRunner> cuda;  // CUDA engines run here; the members below serve the CPU
#endif
  std::map<std::vector<int64_t>, Plan> plans;  // by input-shape signature
  std::vector<int64_t> signature;
  std::shared_ptr<void> arena;
  size_t arena_size = 0;
  const Plan* bound = nullptr;            // the plan `views` currently describe
  std::vector<Tensor> views;              // per value: arena view, or this run's own allocation
  std::vector<const Tensor*> value_ptr;   // per value, for the current run
  std::vector<const Tensor*> input_ptr;   // per graph input
  std::vector<const Tensor*> node_in;     // scratch
  std::vector<Tensor*> node_out;          // scratch
  std::vector<TensorDesc> inferred;       // scratch

  void bind(const Plan& plan) {
    if (arena_size < plan.arena_bytes) {
      void* p = std::aligned_alloc(64, (plan.arena_bytes + 63) / 64 * 64);
      if (!p) throw Error(ErrorCode::OutOfMemory, "activation arena of " + std::to_string(plan.arena_bytes) + " bytes");
      arena.reset(p, [](void* q) { std::free(q); });
      arena_size = plan.arena_bytes;
    }
    for (size_t v = 0; v < plan.offsets.size(); ++v)
      if (plan.offsets[v] >= 0)
        views[v] = Tensor::wrap(static_cast<char*>(arena.get()) + plan.offsets[v], plan.descs[v].dtype, plan.descs[v].shape);
    bound = &plan;
  }
};

ExecutionContext::ExecutionContext(std::shared_ptr<const Engine> engine, const ContextOptions& options)
    : engine_(std::move(engine)), state_(std::make_unique<State>(options.threads)) {
  if (!engine_) throw Error(ErrorCode::InvalidArgument, "ExecutionContext needs an engine");
  const Engine::Impl& e = engine_->impl();
  size_t n = e.graph.values.size();
  state_->views.resize(n);
  state_->value_ptr.assign(n, nullptr);
  for (size_t v = 0; v < n; ++v)
    if (e.graph.values[v].is_constant) state_->value_ptr[v] = &e.graph.values[v].constant;
#if LRE_WITH_CUDA
  if (!e.options.device.is_cpu()) state_->cuda = std::make_unique<CudaRunner>(e, options, state_->pool);
#endif
}

ExecutionContext::~ExecutionContext() = default;

size_t ExecutionContext::arena_bytes() const {
#if LRE_WITH_CUDA
  if (state_->cuda) return state_->cuda->arena_bytes();
#endif
  return state_->arena_size;
}

std::vector<std::string> ExecutionContext::cpu_fallback_nodes() const {
#if LRE_WITH_CUDA
  if (state_->cuda) return state_->cuda->cpu_fallback_nodes();
#endif
  return {};
}

void* ExecutionContext::cuda_stream() const {
#if LRE_WITH_CUDA
  if (state_->cuda) return state_->cuda->stream();
#endif
  return nullptr;
}

void ExecutionContext::synchronize() {
#if LRE_WITH_CUDA
  if (state_->cuda) state_->cuda->synchronize();
#endif
}

void ExecutionContext::enqueue(const NamedTensors& inputs, std::vector<Tensor>& outputs) {
#if LRE_WITH_CUDA
  if (state_->cuda) {
    resolve_inputs(inputs);
    state_->cuda->run(state_->input_ptr, outputs, false);
    return;
  }
#endif
  run(inputs, outputs);
}
int ExecutionContext::threads() const { return state_->pool.size(); }

std::vector<Tensor> ExecutionContext::run(const NamedTensors& inputs) {
  std::vector<Tensor> outputs;
  run(inputs, outputs);
  return outputs;
}

void ExecutionContext::resolve_inputs(const NamedTensors& inputs) {
  const Engine::Impl& e = engine_->impl();
  State& s = *state_;
  s.input_ptr.assign(e.inputs.size(), nullptr);
  for (const auto& [name, tensor] : inputs) {
    size_t k = 0;
    while (k < e.inputs.size() && e.inputs[k].name != name) ++k;
    if (k == e.inputs.size()) {
      std::string names;
      for (const auto& in : e.inputs) names += (names.empty() ? "" : ", ") + in.name;
      throw Error(ErrorCode::InvalidArgument, e.model_name + ": unknown input '" + name + "' (the model's inputs: " + names + ")");
    }
    if (s.input_ptr[k]) throw Error(ErrorCode::InvalidArgument, e.model_name + ": input '" + name + "' is given twice");
    validate_input(e, e.inputs[k], tensor);
    s.input_ptr[k] = &tensor;
  }
  for (size_t k = 0; k < e.inputs.size(); ++k)
    if (!s.input_ptr[k]) throw Error(ErrorCode::InvalidArgument, e.model_name + ": missing input '" + e.inputs[k].name + "'");
}

void ExecutionContext::run(const NamedTensors& inputs, std::vector<Tensor>& outputs) {
  const Engine::Impl& e = engine_->impl();
  const Graph& g = e.graph;
  State& s = *state_;
  resolve_inputs(inputs);
#if LRE_WITH_CUDA
  if (s.cuda) {
    s.cuda->run(s.input_ptr, outputs, true);
    return;
  }
#endif
  s.signature.clear();
  for (size_t k = 0; k < e.inputs.size(); ++k) {
    s.value_ptr[g.inputs[k]] = s.input_ptr[k];
    s.signature.push_back(static_cast<int64_t>(s.input_ptr[k]->dtype()));
    s.signature.push_back(static_cast<int64_t>(s.input_ptr[k]->rank()));
    s.signature.insert(s.signature.end(), s.input_ptr[k]->shape().begin(), s.input_ptr[k]->shape().end());
  }

  auto found = s.plans.find(s.signature);
  Plan* plan = found == s.plans.end() ? nullptr : &found->second;
  if (plan && s.bound != plan) s.bind(*plan);
  const bool infer = !plan || !e.shapes_follow_inputs;
  bool plan_stale = false;
  Plan fresh;
  if (!plan) {
    fresh.descs.resize(g.values.size());
    s.bound = nullptr;
  }
  outputs.resize(g.outputs.size());

  for (const CompiledNode& c : e.nodes) {
    const Node& n = g.nodes[c.node];
    try {
      s.node_in.clear();
      for (int in : n.inputs) s.node_in.push_back(in == kNoValue ? nullptr : s.value_ptr[in]);
      if (infer) {
        s.inferred = c.kernel->infer(s.node_in);
        if (s.inferred.size() < n.outputs.size())
          throw Error(ErrorCode::Internal, "shape inference gave " + std::to_string(s.inferred.size()) + " outputs, the node has " +
                                               std::to_string(n.outputs.size()));
      }
      s.node_out.clear();
      for (size_t j = 0; j < n.outputs.size(); ++j) {
        int o = n.outputs[j];
        if (o == kNoValue) {
          s.node_out.push_back(nullptr);
          continue;
        }
        const TensorDesc& desc = infer ? s.inferred[j] : plan->descs[o];
        Tensor* dst = &s.views[o];
        if (e.output_slot[o] >= 0) {
          dst = &outputs[e.output_slot[o]];
          if (!matches(*dst, desc)) *dst = Tensor(desc.dtype, desc.shape);
          if (!plan) fresh.descs[o] = desc;
        } else if (!plan) {
          *dst = Tensor(desc.dtype, desc.shape);
          fresh.descs[o] = desc;
        } else if (infer && !(desc.dtype == plan->descs[o].dtype && desc.shape == plan->descs[o].shape)) {
          // The data changed a shape: fit into the planned slot if it can, else allocate for this
          // run and plan again next time.
          if (plan->offsets[o] >= 0 && desc_bytes(desc) <= desc_bytes(plan->descs[o])) {
            *dst = Tensor::wrap(s.views[o].raw(), desc.dtype, desc.shape);
          } else {
            *dst = Tensor(desc.dtype, desc.shape);
            plan_stale = true;
          }
          s.bound = nullptr;
        }
        s.value_ptr[o] = dst;
        s.node_out.push_back(dst);
      }
      KernelContext ctx{s.node_in, s.node_out, s.pool};
      c.kernel->compute(ctx);
    } catch (...) {
      rethrow_for_node(e.model_name, n);
    }
  }

  // Graph outputs that no node writes (inputs or constants passed through), or that repeat a value.
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    int id = g.outputs[k];
    if (e.producer[id] >= 0 && e.output_slot[id] == static_cast<int>(k)) continue;
    const Tensor& src = *s.value_ptr[id];
    if (!matches(outputs[k], TensorDesc{src.dtype(), src.shape()})) outputs[k] = Tensor(src.dtype(), src.shape());
    if (src.nbytes()) std::memcpy(outputs[k].raw(), src.raw(), src.nbytes());
  }

  if (!plan) {
    std::vector<BufferRequest> requests;
    std::vector<int> ids;
    fresh.offsets.assign(g.values.size(), -1);
    for (size_t v = 0; v < g.values.size(); ++v) {
      if (e.producer[v] < 0 || e.output_slot[v] >= 0) continue;
      requests.push_back({desc_bytes(fresh.descs[v]), e.producer[v], std::max(e.producer[v], e.last_use[v])});
      ids.push_back(static_cast<int>(v));
    }
    MemoryPlan mp = plan_memory(requests);
    for (size_t r = 0; r < ids.size(); ++r) fresh.offsets[ids[r]] = static_cast<int64_t>(mp.offsets[r]);
    fresh.arena_bytes = mp.total;
    s.plans.emplace(s.signature, std::move(fresh));
  } else if (plan_stale) {
    s.plans.erase(found);
    s.bound = nullptr;
  }
}

}  // namespace lre
