// The on-disk engine cache: one file per model, options and machine, `<cache_dir>/<key>.lre`,
// holding the optimised graph (as ONNX) and the tuning choices, so a later load skips the checker,
// the passes and the timing of algorithms. An entry is used only when it is intact and was made
// for this very model, options, GPU and library versions; any other entry is rebuilt.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/tuning_table.h"
#include "graph/graph.h"
#include "lre/engine.h"
#include "onnx/model_loader.h"

namespace lre {

// FNV-1a over 8-byte words in four interleaved lanes (the tail byte by byte) with a final mix:
// fast enough to hash a model of hundreds of megabytes at every load, and any one changed word
// changes the result.
uint64_t hash64(std::string_view bytes);

// Where and for what an entry was made. An entry serves a load only when all of it matches.
struct CacheHeader {
  std::string lre_version;
  std::string device;              // "cpu", or the GPU's name
  std::string compute_capability;  // "9.0"; empty for the CPU
  std::string libraries;           // CUDA runtime, cuDNN and cuBLAS versions; empty for the CPU
  std::string options;             // what of EngineOptions changes the compiled engine
  uint64_t model_hash = 0;         // of the model file's bytes
  // External data files the model read: location (relative to the model's folder), content hash.
  std::vector<std::pair<std::string, uint64_t>> external_files;

  bool operator==(const CacheHeader&) const = default;
};

struct CacheEntry {
  CacheHeader header;
  // Of the model as loaded (name, producer, IR version, opsets, nodes loaded, parameters); the
  // counts after optimisation are recomputed from the cached graph.
  ModelSummary summary;
  std::string model;  // the optimised graph, ONNX ModelProto bytes
  std::map<std::string, int> tuning;
};

// The entry file, little-endian:
//   "LRECACHE" | u32 format version | u32 header bytes | u64 payload bytes |
//   u64 checksum (hash64 of header and payload) | header | payload
// Strings are a u64 length and the bytes. Header: lre version, device, compute capability,
// libraries, options (strings); model hash (u64); u32 count of external files, each a location
// (string) and a content hash (u64). Payload: the summary (name, producer: strings; IR version:
// i64; u32 count of opsets, each a domain (string) and a version (i64); nodes loaded, parameters,
// parameter bytes: i64), the optimised model (string), u32 count of tuning choices, each a key
// (string) and a choice (i32).
constexpr uint32_t kCacheFormatVersion = 1;
std::string encode_cache_entry(const CacheEntry& entry);
// Throws InvalidModel naming the damage: bad magic, another format version, truncated or
// trailing bytes, checksum mismatch.
CacheEntry decode_cache_entry(std::string_view bytes);

// What a cache hit gives the engine: the optimised graph, ready to compile, and the saved choices.
struct CachedEngine {
  LoadedModel model;  // summary.from_cache is set
  std::map<std::string, int> tuning;
};

class EngineCache {
 public:
  // The entry for `model_bytes` loaded with `options` on this machine; creates `options.cache_dir`
  // if missing (failing quietly: the engine then simply works without a cache). Throws Device when
  // a CUDA device cannot describe itself.
  EngineCache(std::string_view model_bytes, const EngineOptions& options);

  const std::string& path() const { return path_; }
  const CacheHeader& header() const { return header_; }  // its external files left empty

  // The cached engine when the entry exists, is intact, was made for this machine, model and
  // options, and the model's external data files still hash the same; nullopt otherwise.
  std::optional<CachedEngine> lookup(const std::string& name, const std::string& base_dir) const;

  // Writes the entry of a freshly compiled engine (written atomically: a temporary file in the
  // same folder, then renamed over the entry). False when it cannot be written: an unwritable
  // folder, or a graph ONNX cannot hold.
  bool store(const Graph& optimised, const ModelSummary& summary, const std::vector<std::string>& external_files,
             const std::string& base_dir, TuningTable& tuning) const;

  // Rewrites the entry with `tuning`'s choices added to those it holds. Never throws: an entry
  // that is gone, damaged or unwritable is left as it is.
  void save_tuning(TuningTable& tuning) const noexcept;

 private:
  CacheHeader header_;
  std::string path_;
};

}  // namespace lre
