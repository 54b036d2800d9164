// HttpClient: the port every outbound call goes through (Slack, Mattermost, platform APIs),
// so tests can script answers and faults. Transport failures say whether the request can
// have reached the server, which decides whether a customer reply may be re-sent.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace duplex {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; empty when absent.
std::string FindHeader(const HeaderList& headers, const std::string& name);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path?query
  HeaderList headers;
  std::string body;
  std::string content_type = "application/json";
  int timeout_ms = 10'000;
  std::string ca_file;  // extra CA bundle for this target (tests, private CAs); empty = system
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  std::string Header(const std::string& name) const { return FindHeader(headers, name); }
};

enum class TransportError {
  kNone,
  kNotSent,  // the request certainly did not reach the server (connect, DNS, TLS setup)
  kUnknown,  // it may have: write, read or timeout after the connection was made
};

struct HttpResult {
  TransportError error = TransportError::kNone;
  std::string error_message;  // for logs and chat; never contains request headers
  HttpResponse response;
  bool ok() const { return error == TransportError::kNone; }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResult Send(const HttpRequest& request) = 0;
};

}  // namespace duplex
