#include "platforms/platform.h"

namespace duplex {

Result<InboundResponse> PlatformConnector::Handshake(const InboundRequest&) const {
  return Status::NotFound("no handshake for this platform");
}

std::string PlatformConnector::DisplayNameFor(const std::string&) const {
  return DisplayName();
}

Status PlatformConnector::ValidateReply(const std::string& text, const std::string&) const {
  if (text.empty()) return Status::Invalid("the reply text is empty");
  return Status::Ok();
}

void PlatformConnector::ShareAcrossInstances(LeaseStore&, const std::string&) {}

}  // namespace duplex
