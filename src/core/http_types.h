// The HTTP exchange as duplex's handlers see it, independent of the HTTP library: the
// request as received (raw body, headers, query, the time it arrived) and a direct answer.
// Platforms, chat handlers and the HTTP server share these, so none depends on another.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/http_client.h"

namespace duplex {

// An HTTP request as a handler received it.
struct InboundRequest {
  std::string method;
  std::string path;
  HeaderList headers;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;  // raw bytes, exactly as received
  UnixMs now = 0;

  std::string Header(const std::string& name) const { return FindHeader(headers, name); }
  std::string Query(const std::string& name) const;
  bool HasQuery(const std::string& name) const;
};

// A direct answer to the platform (handshakes, pings).
struct InboundResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

}  // namespace duplex
