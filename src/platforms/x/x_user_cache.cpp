#include "platforms/x/x_user_cache.h"

namespace duplex::x {

std::optional<Author> XUserCache::Get(const std::string& id, UnixMs now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  auto& [entry, position] = it->second;
  if (now - entry.stored_at >= ttl_ms_) {
    order_.erase(position);
    entries_.erase(it);
    return std::nullopt;
  }
  order_.splice(order_.begin(), order_, position);
  return entry.author;
}

void XUserCache::Put(const Author& author, UnixMs now) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(author.id); it != entries_.end()) {
    it->second.first = {author, now};
    order_.splice(order_.begin(), order_, it->second.second);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(author.id);
  entries_.emplace(author.id, std::make_pair(Entry{author, now}, order_.begin()));
}

std::size_t XUserCache::Size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace duplex::x
