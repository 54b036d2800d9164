#include "platforms/platform.h"

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

Result<InboundResponse> PlatformConnector::Handshake(const InboundRequest&) const {
  return Status::NotFound("no handshake for this platform");
}

std::string PlatformConnector::DisplayNameFor(const std::string&) const { return DisplayName(); }

Status PlatformConnector::ValidateReply(const std::string& text, const std::string&) const {
  if (text.empty()) return Status::Invalid("the reply text is empty");
  return Status::Ok();
}

}  // namespace duplex
