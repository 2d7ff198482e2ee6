// Loads a model given on the command line, runs it on inputs of its declared shapes (dynamic
// dimensions = 1) and prints each output's shape: the public API, nothing internal.
#include <lre/engine.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lre_consumer MODEL.onnx\n");
    return 2;
  }
  try {
    auto engine = lre::Engine::load(argv[1]);
    lre::NamedTensors inputs;
    for (const lre::TensorInfo& info : engine->inputs()) {
      lre::Shape shape;
      for (const lre::Dim& d : info.shape) shape.push_back(d.is_dynamic() ? 1 : d.value);
      lre::Tensor t(info.dtype, shape);
      if (info.dtype == lre::DType::Float32)
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
      inputs.emplace_back(info.name, t);
    }
    lre::ExecutionContext ctx(engine);
    std::vector<lre::Tensor> outputs = ctx.run(inputs);
    for (size_t k = 0; k < outputs.size(); ++k)
      std::printf("%s %s\n", engine->outputs()[k].name.c_str(), lre::shape_to_string(outputs[k].shape()).c_str());
  } catch (const lre::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
