// Safetensors files, Hugging Face's weight format (an 8-byte little-endian header length, a JSON
// header giving each tensor's dtype, shape and byte range, then the raw data), memory-mapped so
// weights are paged in from the file instead of copied; every range is checked before use.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lre/tensor.h"

namespace lre::asr {

struct SafetensorsEntry {
  std::string name;
  std::string dtype_name;  // as the header spells it: "F32", "BF16", ...
  DType dtype = DType::Float32;
  Shape shape;
  uint64_t begin = 0;  // byte range within the data section (after the header)
  uint64_t end = 0;
};

// One file. Construction maps and validates it completely, so a truncated or corrupt file fails
// here with an lre::Error naming the file and the tensor, never later with a crash.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return path_; }
  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const;
  // A view sharing the mapping, which it keeps alive. The mapping is read-only: clone() before
  // writing. Data the file does not align to its element size is copied into aligned memory.
  Tensor tensor(const std::string& name) const;

 private:
  std::string path_;
  std::shared_ptr<void> mapping_;  // unmaps when the last view is gone
  const uint8_t* data_ = nullptr;  // start of the data section
  std::map<std::string, SafetensorsEntry> entries_;
};

// The tensors of one checkpoint: a single file, or the shards a model.safetensors.index.json
// names through its weight_map.
class SafetensorsSet {
 public:
  static SafetensorsSet open_file(const std::string& path);
  // Shard paths in the weight_map are relative to the index's folder.
  static SafetensorsSet open_index(const std::string& index_path);

  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const;
  const std::string& file_of(const std::string& name) const;
  Tensor tensor(const std::string& name) const;
  // What a missing tensor's error names: the file, or the index and its shards.
  const std::string& source() const { return source_; }

 private:
  const SafetensorsFile& file(const std::string& name) const;

  std::string source_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> where_;  // tensor name -> index into files_
};

}  // namespace lre::asr
