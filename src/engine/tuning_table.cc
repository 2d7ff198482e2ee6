// TuningTable: a reader-writer lock, since after the first run of each shape every access is a
// lookup (puts happen only while a context times candidates).
#include "engine/tuning_table.h"

#include <mutex>

namespace lre {

int TuningTable::find(const std::string& key) const {
  std::shared_lock lock(mutex_);
  auto it = choices_.find(key);
  return it == choices_.end() ? -1 : it->second;
}

void TuningTable::put(const std::string& key, int choice) {
  std::unique_lock lock(mutex_);
  auto [it, added] = choices_.try_emplace(key, choice);
  if (!added && it->second == choice) return;
  it->second = choice;
  changed_ = true;
}

std::map<std::string, int> TuningTable::snapshot() const {
  std::shared_lock lock(mutex_);
  return choices_;
}

bool TuningTable::changed() const {
  std::shared_lock lock(mutex_);
  return changed_;
}

void TuningTable::mark_saved(const std::map<std::string, int>& saved) {
  std::unique_lock lock(mutex_);
  changed_ = choices_ != saved;
}

}  // namespace lre
