// `lre run MODEL --input NAME=FILE.npy ... --output-dir DIR`: one run, outputs written as .npy.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "core/npy.h"

namespace lre::cli {

int cmd_run(const RunArgs& args) {
  auto engine = Engine::load(args.model, engine_options(args.target));
  NamedTensors inputs;
  for (const std::string& spec : args.inputs) {
    auto eq = spec.find('=');
    std::string name, file;
    if (eq == std::string::npos) {
      if (engine->inputs().size() != 1)
        throw Error(ErrorCode::InvalidArgument, "--input '" + spec + "': the model has " + std::to_string(engine->inputs().size()) +
                                                    " inputs, name them with NAME=FILE.npy");
      name = engine->inputs()[0].name;
      file = spec;
    } else {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    }
    inputs.emplace_back(name, read_npy(file));
  }
  ExecutionContext ctx(engine, {.threads = args.threads});
  std::vector<Tensor> outputs = ctx.run(inputs);
  std::filesystem::create_directories(args.output_dir);
  for (size_t k = 0; k < outputs.size(); ++k) {
    std::string name = engine->outputs()[k].name;
    for (char& c : name)
      if (c == '/' || c == '\\' || c == ':') c = '_';
    std::string path = (std::filesystem::path(args.output_dir) / (name + ".npy")).string();
    write_npy(outputs[k], path);
    std::printf("%s: %s %s -> %s\n", engine->outputs()[k].name.c_str(), dtype_name(outputs[k].dtype()),
                shape_to_string(outputs[k].shape()).c_str(), path.c_str());
  }
  return 0;
}

}  // namespace lre::cli
