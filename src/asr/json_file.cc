#include "asr/json_file.h"

#include <fstream>

#include "lre/error.h"

namespace lre::asr {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::Io, "cannot open " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& ex) {
    throw Error(ErrorCode::InvalidModel, path + ": not valid JSON (" + ex.what() + ")");
  }
}

}  // namespace lre::asr
