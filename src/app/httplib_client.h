// HttpClient over cpp-httplib: one connection per request (no reuse, so a stale keep-alive
// connection can never make a request ambiguous), TLS verified against the system CA store
// or the request's own CA file.
#pragma once

#include "core/http_client.h"

namespace duplex {

class HttplibClient final : public HttpClient {
 public:
  HttpResult Send(const HttpRequest& request) override;
};

struct ParsedUrl {
  std::string scheme;  // http | https
  std::string host;
  int port = 0;
  std::string path_and_query;  // starts with '/'
};
bool ParseUrl(const std::string& url, ParsedUrl& out);

}  // namespace duplex
