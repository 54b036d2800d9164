#include "chat/slack/slack_directory.h"

namespace duplex {

SlackDirectory::SlackDirectory(Lookup lookup, const Clock& clock, Options options)
    : lookup_(std::move(lookup)), clock_(clock), options_(options) {
  if (options_.capacity == 0) options_.capacity = 1;
}

std::optional<std::string> SlackDirectory::NameOf(const std::string& user_id, int timeout_ms) {
  if (auto entry = Remembered(user_id, clock_.NowMs())) return entry->name;
  if (timeout_ms <= 0 || !lookup_) return std::nullopt;
  // Not under the lock: one slow answer must not hold every other lookup.
  std::optional<std::string> name = lookup_(user_id, timeout_ms);
  const UnixMs ttl = name ? options_.ttl_ms : options_.miss_ttl_ms;
  Remember(user_id, {name, clock_.NowMs() + ttl});
  return name;
}

std::optional<SlackDirectory::Entry> SlackDirectory::Remembered(const std::string& user_id,
                                                                UnixMs now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(user_id);
  if (it == entries_.end()) return std::nullopt;
  auto& [entry, position] = it->second;
  if (now >= entry.expires_at) {
    order_.erase(position);
    entries_.erase(it);
    return std::nullopt;
  }
  order_.splice(order_.begin(), order_, position);
  return entry;
}

void SlackDirectory::Remember(const std::string& user_id, Entry entry) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(user_id); it != entries_.end()) {
    it->second.first = std::move(entry);
    order_.splice(order_.begin(), order_, it->second.second);
    return;
  }
  if (entries_.size() >= options_.capacity) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(user_id);
  entries_.emplace(user_id, std::make_pair(std::move(entry), order_.begin()));
}

}  // namespace duplex
