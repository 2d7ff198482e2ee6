// Engine compilation: load, optimise, bind kernels, and work out value lifetimes.
#include "engine/engine_impl.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/engine_cache.h"
#include "graph/passes.h"
#include "onnx/model_loader.h"
#if LRE_WITH_CUDA
#include "engine/cuda/device_constants.h"
#endif

namespace lre {

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// Choices timed since the cache entry was written (first runs of new shapes) are kept for the
// next load; saving never throws, and a failure only leaves the entry as it was.
Engine::~Engine() {
  if (impl_ && impl_->cache && impl_->tuning->changed()) impl_->cache->save_tuning(*impl_->tuning);
}

const std::vector<TensorInfo>& Engine::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Engine::outputs() const { return impl_->outputs; }
const ModelSummary& Engine::summary() const { return impl_->summary; }
const EngineOptions& Engine::options() const { return impl_->options; }

std::shared_ptr<const Engine> Engine::load(const std::string& path, const EngineOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(ErrorCode::Io, path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw Error(ErrorCode::Io, path + ": is a directory, expected an .onnx file");
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw Error(ErrorCode::Io, path + ": cannot open");
  // One read of the known size: a character iterator reads models of hundreds of MB several
  // times slower.
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(f.tellg(), 0)), '\0');
  f.seekg(0);
  if (!f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) throw Error(ErrorCode::Io, path + ": read failed");
  std::string dir = std::filesystem::path(path).parent_path().string();
  return load_from_memory(bytes, options, dir.empty() ? "." : dir, path);
}

void rethrow_for_node(const std::string& model, const Node& node) {
  try {
    throw;
  } catch (const Error& err) {
    throw Error(err.code(), model + ": " + node.label() + ": " + err.what());
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::OutOfMemory, model + ": " + node.label() + ": out of host memory");
  } catch (const std::exception& err) {
    throw Error(ErrorCode::Internal, model + ": " + node.label() + ": " + err.what());
  }
}

namespace {

// Marks which values are fixed by the input shapes (constants, Shape/Size outputs, and anything
// computed from those alone), then checks that every node's shape-determining inputs are such.
bool shapes_follow_inputs(const Graph& g, const std::vector<CompiledNode>& nodes, std::vector<char>& fixed) {
  fixed.assign(g.values.size(), 0);
  for (size_t i = 0; i < g.values.size(); ++i) fixed[i] = g.values[i].is_constant;
  bool all = true;
  for (const CompiledNode& c : nodes) {
    const Node& n = g.nodes[c.node];
    if (c.kernel->data_dependent_shape()) all = false;
    for (int i : c.kernel->shape_value_inputs())
      if (i < static_cast<int>(n.inputs.size()) && n.inputs[i] != kNoValue && !fixed[n.inputs[i]]) all = false;
    bool out_fixed = n.op_type == "Shape" || n.op_type == "Size";
    if (!out_fixed && !c.kernel->data_dependent_shape()) {
      out_fixed = true;
      for (int in : n.inputs)
        if (in != kNoValue && !fixed[in]) out_fixed = false;
    }
    for (int o : n.outputs)
      if (o != kNoValue) fixed[o] = out_fixed;
  }
  return all;
}

}  // namespace

std::shared_ptr<const Engine> Engine::load_from_memory(std::string_view bytes, const EngineOptions& options,
                                                       const std::string& base_dir, const std::string& name) {
#if LRE_WITH_CUDA
  if (!options.device.is_cpu()) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) count = 0;
    if (options.device.index < 0 || options.device.index >= count)
      throw Error(ErrorCode::Unsupported, name + ": device " + options.device.to_string() + " is not available (" +
                                              std::to_string(count) + " CUDA devices visible)");
  }
#else
  if (!options.device.is_cpu())
    throw Error(ErrorCode::Unsupported, name + ": device " + options.device.to_string() +
                                            " is not available: this build has no CUDA backend (configure with -DLRE_CUDA=ON)");
#endif
  if (options.device.is_cpu() && options.precision != Precision::Fp32)
    throw Error(ErrorCode::Unsupported, name + ": the CPU backend runs in fp32 only");

  // A cache hit gives the optimised graph (checked and optimised when it was stored) and the
  // tuning choices; anything else compiles afresh and (re)writes the entry.
  std::shared_ptr<EngineCache> cache;
  std::optional<CachedEngine> cached;
  if (!options.cache_dir.empty()) {
    cache = std::make_shared<EngineCache>(bytes, options);
    cached = cache->lookup(name, base_dir);
  }
  LoadedModel loaded = cached ? std::move(cached->model) : load_onnx_model(bytes, name, base_dir, options.check_model);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->model_name = name;
  impl->graph = std::move(loaded.graph);
  impl->summary = std::move(loaded.summary);
  impl->cache = cache;
  if (cached) impl->tuning = std::make_shared<TuningTable>(std::move(cached->tuning));
  Graph& g = impl->graph;

  if (options.optimize && !cached) {
    fold_constants(g, name);
    fuse_conv_batchnorm(g);
    fuse_conv_activation(g);
    remove_dead_nodes(g);
  }

  for (int id : g.inputs) impl->inputs.push_back(*g.values[id].declared);
  for (int id : g.outputs) {
    TensorInfo info;
    if (g.values[id].declared) info = *g.values[id].declared;
    else if (g.values[id].is_constant) info.dtype = g.values[id].constant.dtype();
    else info.shape_known = false;
    info.name = g.values[id].name;
    impl->outputs.push_back(info);
  }

  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const KernelFactory* factory = find_kernel(n.domain, n.op_type, Device::Kind::Cpu);
    if (!factory) throw Error(ErrorCode::Unsupported, name + ": " + n.label() + " has no CPU kernel");
    try {
      impl->nodes.push_back(CompiledNode{static_cast<int>(i), (*factory)(KernelInit{n, n.opset})});
    } catch (const Error& e) {
      throw Error(e.code(), name + ": " + n.label() + ": " + e.what());
    }
    impl->summary.op_counts[n.op_type]++;
  }
  impl->summary.nodes_compiled = static_cast<int>(g.nodes.size());

  impl->producer.assign(g.values.size(), -1);
  impl->last_use.assign(g.values.size(), -1);
  impl->output_slot.assign(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int in : g.nodes[i].inputs)
      if (in != kNoValue) impl->last_use[in] = static_cast<int>(i);
    for (int o : g.nodes[i].outputs)
      if (o != kNoValue) impl->producer[o] = static_cast<int>(i);
  }
  for (size_t k = 0; k < g.outputs.size(); ++k)
    if (impl->output_slot[g.outputs[k]] < 0) impl->output_slot[g.outputs[k]] = static_cast<int>(k);
  impl->shapes_follow_inputs = shapes_follow_inputs(g, impl->nodes, impl->value_fixed);
  if (cache && !cached) cache->store(g, impl->summary, loaded.external_files, base_dir, *impl->tuning);
#if LRE_WITH_CUDA
  if (!options.device.is_cpu()) impl->device_constants = upload_constants(*impl);
#endif

  return std::shared_ptr<const Engine>(new Engine(std::move(impl)));
}

}  // namespace lre
