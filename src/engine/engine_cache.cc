// Engine cache entries: encoding, validation and atomic writes. The key hashes everything an entry
// must match (model, options, device, versions), so engines for two GPUs or two releases sharing
// one folder keep separate entries instead of overwriting each other at every load.
#include "engine/engine_cache.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "lre/error.h"
#include "onnx/model_writer.h"
#if LRE_WITH_CUDA
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#endif

namespace lre {

namespace {

constexpr char kMagic[8] = {'L', 'R', 'E', 'C', 'A', 'C', 'H', 'E'};
constexpr size_t kPrefixBytes = 32;  // magic, format version, header and payload sizes, checksum

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

// Appends little-endian integers and length-prefixed strings.
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }

 private:
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string& out_;
};

// Reads what ByteWriter wrote; running past the end means the entry is damaged.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  int64_t i64() { return static_cast<int64_t>(get(8)); }
  std::string str() { return std::string(view()); }
  std::string_view view() {
    uint64_t n = u64();
    need(n);
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  void need(uint64_t n) const {
    if (n > in_.size() - pos_) throw Error(ErrorCode::InvalidModel, "engine cache entry: a field runs past its section");
  }
  uint64_t get(int bytes) {
    need(bytes);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

void encode_header(const CacheHeader& h, std::string& out) {
  ByteWriter w(out);
  for (const std::string* s : {&h.lre_version, &h.device, &h.compute_capability, &h.libraries, &h.options}) w.str(*s);
  w.u64(h.model_hash);
  w.u32(static_cast<uint32_t>(h.external_files.size()));
  for (const auto& [location, hash] : h.external_files) {
    w.str(location);
    w.u64(hash);
  }
}

CacheHeader decode_header(std::string_view bytes) {
  ByteReader r(bytes);
  CacheHeader h;
  for (std::string* s : {&h.lre_version, &h.device, &h.compute_capability, &h.libraries, &h.options}) *s = r.str();
  h.model_hash = r.u64();
  for (uint32_t n = r.u32(); n > 0; --n) {
    std::string location = r.str();
    h.external_files.emplace_back(std::move(location), r.u64());
  }
  if (!r.done()) throw Error(ErrorCode::InvalidModel, "engine cache entry: trailing bytes in the header");
  return h;
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Fp32: return "fp32";
    case Precision::Fp16: return "fp16";
    case Precision::Bf16: return "bf16";
  }
  return "?";
}

// The machine half of the header: which device compiles and runs the engine, and the libraries
// whose versions decide what the tuning choices mean.
void describe_machine(const EngineOptions& options, CacheHeader& h) {
  if (options.device.is_cpu()) {
    h.device = "cpu";
    return;
  }
#if LRE_WITH_CUDA
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, options.device.index) != cudaSuccess)
    throw Error(ErrorCode::Device, "engine cache: cannot read the properties of " + options.device.to_string());
  h.device = prop.name;
  h.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
  int runtime = 0, cublas_major = 0, cublas_minor = 0, cublas_patch = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  (void)cublasGetProperty(MAJOR_VERSION, &cublas_major);
  (void)cublasGetProperty(MINOR_VERSION, &cublas_minor);
  (void)cublasGetProperty(PATCH_LEVEL, &cublas_patch);
  h.libraries = "cudart " + std::to_string(runtime) + ", cudnn " + std::to_string(cudnnGetVersion()) + ", cublas " +
                std::to_string(cublas_major) + "." + std::to_string(cublas_minor) + "." + std::to_string(cublas_patch);
#else
  throw Error(ErrorCode::Unsupported, "engine cache: " + options.device.to_string() + " in a build without CUDA");
#endif
}

std::string hex64(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = digits[v & 0xf];
  return s;
}

// The whole file in one read, or nullopt when it cannot be read (absent, unreadable).
std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return std::nullopt;
  const std::streamoff size = f.tellg();
  if (size < 0) return std::nullopt;
  std::string bytes(static_cast<size_t>(size), '\0');
  f.seekg(0);
  if (!f.read(bytes.data(), size)) return std::nullopt;
  return bytes;
}

// Another process may write the same entry at the same moment: each writes its own temporary file
// (pid and a random number in the name) and rename() replaces the entry in one step, so a reader
// sees the old file or the new one, never a mix. No fsync: a file torn by a crash fails its
// checksum and is rebuilt.
void write_atomically(const std::filesystem::path& path, std::string_view bytes) {
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(std::random_device{}()) + "." +
         std::to_string(counter.fetch_add(1));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(ErrorCode::Io, "engine cache: cannot create " + tmp.string());
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw Error(ErrorCode::Io, "engine cache: cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error(ErrorCode::Io, "engine cache: cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  }
}

// Entries of this machine, model and options: all of the header but the external files, which
// are checked against the files themselves.
bool same_build(const CacheHeader& entry, const CacheHeader& expected) {
  CacheHeader e = entry;
  e.external_files.clear();
  return e == expected;
}

// decode_cache_entry, leaving the model where it lies in `bytes` (a model of hundreds of MB is
// not copied on the way to the parser).
CacheEntry decode_entry(std::string_view bytes, std::string_view& model) {
  if (bytes.size() < kPrefixBytes || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(ErrorCode::InvalidModel, "engine cache entry: not an entry file (bad magic)");
  ByteReader prefix(bytes.substr(sizeof kMagic, kPrefixBytes - sizeof kMagic));
  const uint32_t version = prefix.u32();
  if (version != kCacheFormatVersion)
    throw Error(ErrorCode::InvalidModel, "engine cache entry: format version " + std::to_string(version) + ", expected " +
                                             std::to_string(kCacheFormatVersion));
  const uint64_t header_bytes = prefix.u32();
  const uint64_t payload_bytes = prefix.u64();
  const uint64_t checksum = prefix.u64();
  const uint64_t body_bytes = bytes.size() - kPrefixBytes;
  if (header_bytes > body_bytes || payload_bytes != body_bytes - header_bytes)
    throw Error(ErrorCode::InvalidModel, "engine cache entry: " + std::to_string(bytes.size()) +
                                             " bytes, its sizes say " +
                                             std::to_string(kPrefixBytes + header_bytes + payload_bytes) +
                                             " (truncated or extended)");
  if (hash64(bytes.substr(kPrefixBytes)) != checksum)
    throw Error(ErrorCode::InvalidModel, "engine cache entry: checksum mismatch (the file is damaged)");

  CacheEntry entry;
  entry.header = decode_header(bytes.substr(kPrefixBytes, header_bytes));
  ByteReader r(bytes.substr(kPrefixBytes + header_bytes));
  ModelSummary& s = entry.summary;
  s.name = r.str();
  s.producer = r.str();
  s.ir_version = r.i64();
  for (uint32_t n = r.u32(); n > 0; --n) {
    std::string domain = r.str();
    s.opsets[domain] = r.i64();
  }
  s.nodes_loaded = static_cast<int>(r.i64());
  s.parameters = r.i64();
  s.parameter_bytes = static_cast<size_t>(r.i64());
  model = r.view();
  for (uint32_t n = r.u32(); n > 0; --n) {
    std::string key = r.str();
    entry.tuning[key] = static_cast<int>(r.u32());
  }
  if (!r.done()) throw Error(ErrorCode::InvalidModel, "engine cache entry: trailing bytes in the payload");
  return entry;
}

}  // namespace

uint64_t hash64(std::string_view bytes) {
  // Four lanes over 32-byte blocks run independently, so their multiplies overlap; then the lanes
  // and the tail fold into one. Every step is a bijection of the state for a fixed input word,
  // which is why one changed word always changes the result.
  auto step = [](uint64_t h, uint64_t w) {
    h = (h ^ w) * kFnvPrime;
    return h ^ (h >> 32);  // the product carries low bits upwards only; this brings high bits down
  };
  auto word = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  uint64_t lane[4] = {kFnvOffset, kFnvOffset ^ 1, kFnvOffset ^ 2, kFnvOffset ^ 3};
  const char* p = bytes.data();
  size_t n = bytes.size();
  for (; n >= 32; p += 32, n -= 32)
    for (int i = 0; i < 4; ++i) lane[i] = step(lane[i], word(p + 8 * i));
  uint64_t h = lane[0];
  for (int i = 1; i < 4; ++i) h = step(h, lane[i]);
  for (; n >= 8; p += 8, n -= 8) h = step(h, word(p));
  for (; n > 0; ++p, --n) h = (h ^ static_cast<unsigned char>(*p)) * kFnvPrime;
  h ^= bytes.size();
  // Final avalanche (the finaliser of splitmix64), so nearby inputs give unrelated keys.
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

std::string encode_cache_entry(const CacheEntry& entry) {
  std::string header;
  encode_header(entry.header, header);

  // The payload is appended in place (no second copy of the model), then the sizes and the
  // checksum are filled into the prefix.
  std::string out;
  out.reserve(kPrefixBytes + header.size() + entry.model.size() + 4096);
  out.append(kMagic, sizeof kMagic);
  ByteWriter w(out);
  w.u32(kCacheFormatVersion);
  w.u32(static_cast<uint32_t>(header.size()));
  w.u64(0);  // payload bytes
  w.u64(0);  // checksum
  out += header;
  const size_t payload_at = out.size();
  const ModelSummary& s = entry.summary;
  w.str(s.name);
  w.str(s.producer);
  w.i64(s.ir_version);
  w.u32(static_cast<uint32_t>(s.opsets.size()));
  for (const auto& [domain, version] : s.opsets) {
    w.str(domain);
    w.i64(version);
  }
  w.i64(s.nodes_loaded);
  w.i64(s.parameters);
  w.i64(static_cast<int64_t>(s.parameter_bytes));
  w.str(entry.model);
  w.u32(static_cast<uint32_t>(entry.tuning.size()));
  for (const auto& [key, choice] : entry.tuning) {
    w.str(key);
    w.u32(static_cast<uint32_t>(choice));
  }

  auto patch = [&out](size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  patch(16, out.size() - payload_at);
  patch(24, hash64(std::string_view(out).substr(kPrefixBytes)));
  return out;
}

CacheEntry decode_cache_entry(std::string_view bytes) {
  std::string_view model;
  CacheEntry entry = decode_entry(bytes, model);
  entry.model = std::string(model);
  return entry;
}

EngineCache::EngineCache(std::string_view model_bytes, const EngineOptions& options) {
  header_.lre_version = LRE_VERSION;
  describe_machine(options, header_);
  // Everything that changes the compiled graph: an entry made without the checker must not serve
  // a load that asks for it, nor an unoptimised graph a load that optimises.
  header_.options = std::string("device=") + (options.device.is_cpu() ? "cpu" : "cuda") +
                    " precision=" + precision_name(options.precision) +
                    " optimize=" + (options.optimize ? "1" : "0") + " check_model=" + (options.check_model ? "1" : "0");
  header_.model_hash = hash64(model_bytes);
  std::string key_bytes;
  encode_header(header_, key_bytes);
  std::error_code ec;
  std::filesystem::create_directories(options.cache_dir, ec);
  path_ = (std::filesystem::path(options.cache_dir) / (hex64(hash64(key_bytes)) + ".lre")).string();
}

std::optional<CachedEngine> EngineCache::lookup(const std::string& name, const std::string& base_dir) const {
  std::optional<std::string> bytes = read_whole_file(path_);
  if (!bytes) return std::nullopt;
  try {
    std::string_view model;
    CacheEntry entry = decode_entry(*bytes, model);
    if (!same_build(entry.header, header_)) return std::nullopt;
    for (const auto& [location, hash] : entry.header.external_files) {
      std::optional<std::string> data = read_whole_file(std::filesystem::path(base_dir) / location);
      if (!data || hash64(*data) != hash) return std::nullopt;
    }
    CachedEngine out;
    out.model = load_onnx_model(model, name, base_dir, /*check_model=*/false);
    out.model.summary = std::move(entry.summary);
    out.model.summary.from_cache = true;
    out.tuning = std::move(entry.tuning);
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // damaged: the caller compiles afresh and rewrites the entry
  }
}

bool EngineCache::store(const Graph& optimised, const ModelSummary& summary, const std::vector<std::string>& external_files,
                        const std::string& base_dir, TuningTable& tuning) const {
  try {
    CacheEntry entry;
    entry.header = header_;
    entry.model = write_onnx_model(optimised);  // first: it refuses some graphs, before any file is read
    for (const std::string& location : external_files) {
      std::optional<std::string> data = read_whole_file(std::filesystem::path(base_dir) / location);
      if (!data) return false;
      entry.header.external_files.emplace_back(location, hash64(*data));
    }
    entry.summary = summary;
    entry.tuning = tuning.snapshot();
    write_atomically(path_, encode_cache_entry(entry));
    tuning.mark_saved(entry.tuning);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void EngineCache::save_tuning(TuningTable& tuning) const noexcept {
  try {
    const std::map<std::string, int> ours = tuning.snapshot();
    std::optional<std::string> bytes = read_whole_file(path_);
    if (!bytes) return;
    CacheEntry entry = decode_cache_entry(*bytes);
    bytes.reset();
    if (!same_build(entry.header, header_)) return;
    bool added = false;
    for (const auto& [key, choice] : ours) {
      auto [it, inserted] = entry.tuning.try_emplace(key, choice);
      if (inserted || it->second != choice) added = true;
      it->second = choice;
    }
    if (added) write_atomically(path_, encode_cache_entry(entry));
    tuning.mark_saved(ours);
  } catch (...) {
    // Saving is an optimisation for the next load; this engine is unaffected.
  }
}

}  // namespace lre
