#include "platforms/self_identity.h"

namespace duplex {

std::optional<std::string> SelfIdentity::Get(const std::string& key, UnixMs now,
                                             const Lookup& lookup) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  if (e.value || e.given_up || now < e.next_try) return e.value;
  Answer answer = lookup();
  if (answer.value && !answer.value->empty()) {
    e.value = std::move(answer.value);
  } else if (answer.final) {
    e.given_up = true;
  } else {
    e.next_try = now + retry_ms_;
  }
  return e.value;
}

}  // namespace duplex
