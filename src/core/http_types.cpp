#include "core/http_types.h"

namespace duplex {

std::string InboundRequest::Query(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return {};
}

bool InboundRequest::HasQuery(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

}  // namespace duplex
