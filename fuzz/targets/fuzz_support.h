// Helpers shared by the fuzz targets: turning bytes into an inbound request, an HttpClient
// whose answers the input scripts, and silence for the logs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/http_client.h"
#include "platforms/platform.h"

namespace duplex::fuzz {

// The fixed "now" of every target: 2023-11-14 22:13:20 UTC.
inline constexpr UnixMs kFuzzNow = 1'700'000'000'000;

// A clock that always reads kFuzzNow: the same input always meets the same time.
class FixedClock final : public Clock {
 public:
  UnixMs NowMs() const override { return kFuzzNow; }
};

// "Name: value" lines become headers, "?key=value" lines query parameters, up to the first
// empty line; the rest is the body. Without an empty line everything is the body.
InboundRequest RequestFromBytes(std::string_view data, const std::string& method);

// Answers every request with the status in the request's header `x-fuzz-status` (default 200)
// and the body in `x-fuzz-answer` (default "{}") of the fuzzed inbound request it was built
// from; never touches the network.
class ScriptedHttp final : public HttpClient {
 public:
  void ScriptFrom(const InboundRequest& inbound);
  HttpResult Send(const HttpRequest& request) override;

 private:
  int status_ = 200;
  std::string body_;
  HeaderList headers_;
};

// Splits fuzz input into typed values, front to back (a small FuzzedDataProvider that also
// builds with g++, for the regression replay in the unit tests).
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  // A value in [min, max], from up to 8 bytes; min when the input is used up.
  std::int64_t Int(std::int64_t min, std::int64_t max);
  // Up to `max_len` bytes, ended early by a backslash followed by any other byte; two
  // backslashes stand for one (libFuzzer's random-length string convention).
  std::string String(std::size_t max_len);
  std::string Rest();

 private:
  std::string_view rest_;
};

// Sends every log line nowhere (once per process).
void QuietLogs();

// Builds the registry's connector `name` from `config`; traps if the config is refused.
std::unique_ptr<PlatformConnector> MakeConnector(const std::string& name,
                                                 const nlohmann::json& config, HttpClient* http);

// The connector target shared by every platform: GET → Handshake, POST → Verify and Parse,
// then SendReply for the first parsed mention through `http`.
int RunConnector(const PlatformConnector& connector, ScriptedHttp& http, const std::uint8_t* data,
                 std::size_t size);

}  // namespace duplex::fuzz
