#include "fuzz/targets/fuzz_support.h"

#include <algorithm>

#include "core/log.h"
#include "core/text.h"
#include "platforms/registry.h"

namespace duplex::fuzz {

InboundRequest RequestFromBytes(std::string_view data, const std::string& method) {
  InboundRequest r;
  r.method = method;
  r.path = "/webhooks/fuzz";
  r.now = kFuzzNow;
  std::size_t split = data.find("\n\n");
  if (split == std::string_view::npos) {
    r.body = std::string(data);
    return r;
  }
  std::string_view head = data.substr(0, split);
  r.body = std::string(data.substr(split + 2));
  while (!head.empty()) {
    std::size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    if (!line.empty() && line[0] == '?') {
      line.remove_prefix(1);
      std::size_t eq = line.find('=');
      r.query.emplace_back(std::string(line.substr(0, eq)),
                           eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1)));
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers.emplace_back(std::string(line.substr(0, colon)), text::Trim(line.substr(colon + 1)));
  }
  return r;
}

void ScriptedHttp::ScriptFrom(const InboundRequest& inbound) {
  status_ = 200;
  auto status = text::ParseInt64(inbound.Header("x-fuzz-status"));
  if (status && *status >= 100 && *status <= 599) status_ = static_cast<int>(*status);
  body_ = inbound.Header("x-fuzz-answer");
  if (body_.empty()) body_ = "{}";
  headers_.clear();
  for (const char* name : {"retry-after", "x-rate-limit-reset", "x-ratelimit-remaining",
                           "x-ratelimit-reset", "x-user-limit-24hour-reset"}) {
    std::string v = inbound.Header(std::string("x-fuzz-") + name);
    if (!v.empty()) headers_.emplace_back(name, v);
  }
}

HttpResult ScriptedHttp::Send(const HttpRequest&) {
  HttpResult out;
  out.response.status = status_;
  out.response.body = body_;
  out.response.headers = headers_;
  return out;
}

std::int64_t ByteReader::Int(std::int64_t min, std::int64_t max) {
  const std::uint64_t range = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min);
  std::uint64_t v = 0;
  for (std::size_t taken = 0; taken < 8 && (range >> (taken * 8)) != 0 && !rest_.empty(); ++taken) {
    v = (v << 8) | static_cast<unsigned char>(rest_.back());
    rest_.remove_suffix(1);
  }
  if (range != UINT64_MAX) v %= range + 1;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(min) + v);
}

std::string ByteReader::String(std::size_t max_len) {
  std::string out;
  std::size_t i = 0;
  for (; i < rest_.size() && out.size() < max_len; ++i) {
    char c = rest_[i];
    if (c == '\\' && i + 1 < rest_.size()) {
      ++i;
      if (rest_[i] != '\\') {
        ++i;
        break;
      }
    }
    out.push_back(c);
  }
  rest_.remove_prefix(std::min(i, rest_.size()));
  return out;
}

std::string ByteReader::Rest() {
  std::string out(rest_);
  rest_ = {};
  return out;
}

void QuietLogs() {
  static const bool done = [] {
    log::SetSink([](const std::string&) {});
    return true;
  }();
  (void)done;
}

std::unique_ptr<PlatformConnector> MakeConnector(const std::string& name,
                                                 const nlohmann::json& config, HttpClient* http) {
  const PlatformEntry* entry = FindPlatform(name);
  if (entry == nullptr) __builtin_trap();
  std::vector<std::string> errors;
  auto connector = entry->factory(config, "platforms." + name, errors, http);
  if (!connector || !errors.empty()) __builtin_trap();
  return connector;
}

int RunConnector(const PlatformConnector& connector, ScriptedHttp& http, const std::uint8_t* data,
                 std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  InboundRequest get = RequestFromBytes(bytes, "GET");
  http.ScriptFrom(get);
  auto handshake = connector.Handshake(get);
  if (handshake.ok()) (void)handshake->body.size();

  InboundRequest post = RequestFromBytes(bytes, "POST");
  (void)connector.Verify(post);
  auto parsed = connector.Parse(post);
  if (!parsed.ok()) return 0;
  for (const Mention& m : parsed->mentions) {
    (void)connector.DisplayNameFor(m.reply_target);
    (void)connector.ValidateReply(m.text, m.conversation_key);
  }
  if (parsed->mentions.empty()) return 0;
  const Mention& m = parsed->mentions.front();
  ReplyRequest reply;
  reply.delivery_id = 7;
  reply.conversation_id = 1;
  reply.conversation_key = m.conversation_key;
  reply.reply_target = m.reply_target;
  reply.in_reply_to = m.message_id;
  reply.text = "Thanks, we are on it";
  reply.account = m.account;
  reply.now = kFuzzNow;
  (void)connector.SendReply(reply, http);
  return 0;
}

}  // namespace duplex::fuzz
