// Reading the JSON files of a checkpoint folder (config, generation config, tokenizer files) with
// nlohmann::json, every failure naming the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lre::asr {

// Io when the file cannot be opened; InvalidModel when it is not valid JSON.
nlohmann::json read_json(const std::string& path);

}  // namespace lre::asr
