// Tuning choices (a chosen convolution algorithm per problem, keyed by a string that describes the
// problem completely) shared by an engine and all its contexts, so a choice timed once serves every
// context, and a table read from the engine cache serves the very first run.
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <utility>

namespace lre {

class TuningTable {
 public:
  TuningTable() = default;
  // A table seeded with choices already saved (it starts unchanged).
  explicit TuningTable(std::map<std::string, int> saved) : choices_(std::move(saved)) {}
  TuningTable(const TuningTable&) = delete;
  TuningTable& operator=(const TuningTable&) = delete;

  // The choice for `key`, or -1 when none was made yet. Contexts call it from their own threads.
  int find(const std::string& key) const;
  void put(const std::string& key, int choice);

  std::map<std::string, int> snapshot() const;
  // True when choices were put that the last saved snapshot does not hold.
  bool changed() const;
  // Records that `saved` was written; choices put since that snapshot was taken keep the table
  // marked as changed.
  void mark_saved(const std::map<std::string, int>& saved);

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, int> choices_;
  bool changed_ = false;
};

}  // namespace lre
