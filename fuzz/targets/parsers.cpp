// Fuzz targets for the pure parsers and verifiers. Where a property is cheap to state
// (sign then verify succeeds, encode then decode is the identity, tokens lie inside the
// text), a violation traps so libFuzzer reports it like a crash.
#include <string>

#include "app/config.h"
#include "chat/chat.h"
#include "chat/form.h"
#include "chat/slack/slack_limits.h"
#include "chat/slack/slack_poster.h"
#include "core/command_parser.h"
#include "core/text.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/targets/fuzz_support.h"
#include "security/crypto.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex::fuzz {
namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string_view View(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

int FuzzSignatures(const std::uint8_t* data, std::size_t size) {
  using namespace security;
  ByteReader in(data, size);
  const int scheme = static_cast<int>(in.Int(0, 6));
  const std::string secret = in.String(128);
  const std::string a = in.String(256);
  const std::string b = in.String(256);
  // A server clock, not an attacker's number: the header timestamp is the fuzzed one.
  const std::int64_t now = in.Int(0, std::int64_t{1} << 40);
  const std::string body = in.Rest();
  const std::string ts = std::to_string(now);
  switch (scheme) {
    case 0:
      (void)VerifySlackV0(secret, a, b, body, now);
      Check(VerifySlackV0(secret, ts, SignSlackV0(secret, ts, body), body, now).ok());
      break;
    case 1:
      (void)VerifyStandardWebhook(secret, a, ts, b, body, now);
      (void)VerifyStandardWebhook(secret, "id", a, b, body, now);
      if (!a.empty()) {
        const std::string sig = SignStandardWebhook(secret, a, ts, body);
        Check(VerifyStandardWebhook(secret, a, ts, b + " " + sig, body, now).ok());
      }
      break;
    case 2:
      (void)VerifyHubSignature256(secret, a, body);
      Check(VerifyHubSignature256(secret, SignHubSignature256(secret, body), body).ok());
      break;
    case 3:
      (void)VerifyXSignature(secret, a, body);
      Check(VerifyXSignature(secret, SignXSignature(secret, body), body).ok());
      (void)XCrcResponseToken(secret, a);
      break;
    case 4:
      Check(VerifySharedToken(secret, a).ok() == (!secret.empty() && secret == a));
      break;
    case 5: {
      auto hex = HexDecode(body);
      if (hex) Check(text::ToLowerAscii(HexEncode(*hex)) == text::ToLowerAscii(body));
      Check(HexDecode(HexEncode(body)) == body);
      break;
    }
    default: {
      auto decoded = Base64Decode(body);
      if (decoded) (void)Base64Encode(*decoded);
      Check(Base64Decode(Base64Encode(body)) == body);
      Check(ConstantTimeEquals(a, b) == (a == b));
      break;
    }
  }
  return 0;
}

int FuzzUntrustedJson(const std::uint8_t* data, std::size_t size) {
  auto parsed = security::ParseUntrustedJson(View(data, size));
  if (!parsed.ok()) return 0;
  Check(security::JsonNestingDepth(View(data, size), security::kMaxJsonDepth) <=
        security::kMaxJsonDepth);
  if (parsed->is_object()) {
    for (const char* key : {"id", "text", "type", "followers"}) {
      std::string s;
      std::optional<std::int64_t> n;
      (void)security::GetString(*parsed, key, "body", s);
      (void)security::GetInt(*parsed, key, "body", n);
    }
  }
  return 0;
}

int FuzzForm(const std::uint8_t* data, std::size_t size) {
  Form form = Form::Parse(View(data, size));
  for (const auto& [k, v] : form.fields()) {
    Check(form.Has(k));
    (void)form.Get(k);
  }
  (void)form.Get("text");
  const std::string decoded = text::UrlDecode(View(data, size));
  Check(text::UrlDecode(text::UrlEncode(decoded)) == decoded);
  return 0;
}

int FuzzCommandParser(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = View(data, size);
  for (bool strict : {true, false}) {
    auto tokens = Tokenize(text, strict);
    if (!tokens.ok()) continue;
    for (const Token& t : *tokens) {
      Check(t.begin <= t.end && t.end <= text.size());
      (void)ParseRef(t.value);
      (void)ParseChannelRef(t.value);
      (void)ParseUserRef(t.value);
    }
  }
  auto cmd = ParseCommandText(text);
  if (cmd.ok()) {
    Check(!cmd->verb.empty());
    // duplex takes the rest of the line once per command; calling RestFrom for every
    // argument would make this target quadratic in the input (a 64 KiB input took 3.5 s).
    const std::size_t n = cmd->args.size();
    for (std::size_t i : {std::size_t{0}, std::size_t{1}, n / 2, n > 0 ? n - 1 : 0}) {
      (void)cmd->RestFrom(i);
    }
    Check(cmd->RestFrom(n).empty());
  }
  (void)ParseRef(text);
  (void)ParseChannelRef(text);
  (void)ParseUserRef(text);
  return 0;
}

int FuzzSlackText(const std::uint8_t* data, std::size_t size) {
  static const SlackDialect dialect;
  const std::string text(View(data, size));
  (void)dialect.ToPlain(text);
  // What duplex escapes for Slack comes back unchanged.
  const std::string escaped = dialect.Escape(text);
  Check(dialect.ToPlain(escaped) == text);
  (void)dialect.Link(text, text);
  // Cut to a Slack limit, escaped text stays within it and still reads as a prefix of the text.
  for (std::size_t max : {std::size_t{1}, std::size_t{75}, slack::kSectionTextMax}) {
    const std::string fitted = slack::FitMrkdwn(escaped, max);
    Check(slack::SlackLength(fitted) <= max);
    const std::string kept =
        fitted == escaped ? fitted : fitted.substr(0, fitted.size() - 3);  // "…"
    const std::string plain = dialect.ToPlain(kept);
    Check(text.compare(0, plain.size(), plain) == 0);
    Check(slack::SlackLength(slack::FitMrkdwn(text, max)) <= max);
  }
  return 0;
}

int FuzzConfig(const std::uint8_t* data, std::size_t size) {
  QuietLogs();
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name.empty() || name[0] == 'U') return std::nullopt;  // "unset" variables
    return "value-of-" + name;
  };
  auto config = ParseConfig(std::string(View(data, size)), env);
  if (config.ok()) Check(!config->database.empty());
  return 0;
}

}  // namespace duplex::fuzz
