// Meta connector: configuration, the hub.challenge handshake, signature check, display names
// and the sample webhook. Parsing is in meta_parse.cpp, replies in meta_reply.cpp.
#include "platforms/meta/meta_connector.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "core/config_section.h"
#include "platforms/meta/meta_target.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

std::unique_ptr<PlatformConnector> MakeMetaConnector(const json& config, const std::string& path,
                                                     std::vector<std::string>& errors,
                                                     HttpClient* http) {
  ConfigSection section(config, path, errors);
  MetaConfig c;
  c.app_secret = section.Secret("app_secret");
  c.verify_token = section.Required("verify_token");
  c.page_token = section.String("page_token");
  c.whatsapp_token = section.String("whatsapp_token");
  // A WhatsApp-only setup has no Page: one of the two tokens is enough.
  if (c.page_token.empty() && c.whatsapp_token.empty()) {
    section.Error("page_token", "required (or whatsapp_token, for WhatsApp alone)");
  }
  c.api_base = section.Url("api_base", c.api_base);
  c.messenger_human_agent = section.Bool("messenger_human_agent", false);
  c.page_id = section.String("page_id");
  c.ig_user_id = section.String("ig_user_id");
  c.ca_file = section.String("ca_file");
  c.timeout_ms = static_cast<int>(section.Int("timeout_ms", c.timeout_ms, 100, 120'000));
  c.fetch_timeout_ms =
      static_cast<int>(section.Int("fetch_timeout_ms", c.fetch_timeout_ms, 100, 15'000));
  if (!c.page_id.empty() && !meta::IsGraphId(c.page_id))
    section.Error("page_id", "must be a numeric Meta id");
  if (!c.ig_user_id.empty() && !meta::IsGraphId(c.ig_user_id)) {
    section.Error("ig_user_id", "must be a numeric Meta id");
  }
  return std::make_unique<MetaConnector>(std::move(c), http);
}

std::string MetaConnector::DisplayNameFor(const std::string& reply_target) const {
  auto target = json::parse(reply_target, nullptr, false);
  auto type = target.is_object() ? target.find("type") : target.end();
  if (!target.is_object() || type == target.end() || !type->is_string()) return DisplayName();
  return meta::SurfaceName(type->get<std::string>());
}

Result<InboundResponse> MetaConnector::Handshake(const InboundRequest& r) const {
  if (!r.HasQuery("hub.mode") || !r.HasQuery("hub.verify_token") || !r.HasQuery("hub.challenge")) {
    return Status::Invalid("expected hub.mode, hub.verify_token and hub.challenge");
  }
  if (r.Query("hub.mode") != "subscribe") return Status::Invalid("hub.mode must be subscribe");
  if (!security::VerifySharedToken(config_.verify_token, r.Query("hub.verify_token")).ok()) {
    return Status::Forbidden("hub.verify_token does not match");
  }
  // Meta's challenge is an integer; echoing anything else would let whoever knows (or leaks)
  // the verify token make duplex's address serve content of their choosing.
  if (Status s = security::CheckChallenge("hub.challenge", r.Query("hub.challenge")); !s.ok()) {
    return s;
  }
  InboundResponse out;
  out.content_type = "text/plain";
  out.body = r.Query("hub.challenge");
  return out;
}

Status MetaConnector::Verify(const InboundRequest& r) const {
  return security::VerifyHubSignature256(config_.app_secret, r.Header("X-Hub-Signature-256"),
                                         r.body);
}

Status MetaConnector::ValidateReply(const std::string& text,
                                    const std::string& conversation_key) const {
  if (text.empty()) return Status::Invalid("the reply text is empty");
  const std::string type = meta::TypeForConversationKey(conversation_key);
  if (meta::NeedsPageToken(type) && config_.page_token.empty()) {
    return Status::Invalid(meta::NoPageTokenMessage(type));
  }
  return CheckMetaReplyLength(type, text);
}

HttpRequest MetaConnector::SampleWebhook(const std::string& base_url, const std::string& text,
                                         const std::string& event_id, UnixMs now) const {
  // Graph ids are numeric: derive stable digits from the event id so repeats dedup.
  const std::string digits =
      std::to_string(std::hash<std::string>{}(event_id) % 1'000'000'000'000ULL);
  const std::string page_id = config_.page_id.empty() ? "102030405060708" : config_.page_id;
  const std::string post_id = page_id + "_4455667788";
  const std::string body = security::DumpJson(json{
      {"object", "page"},
      {"entry",
       {{{"id", page_id},
         {"time", now / 1000},
         {"changes",
          {{{"field", "feed"},
            {"value",
             {{"from", {{"id", "7001002003"}, {"name", "Ana Customer"}}},
              {"post", {{"id", post_id}, {"permalink_url", "https://www.facebook.com/" + post_id}}},
              {"message", text},
              {"post_id", post_id},
              {"comment_id", "4455667788_" + digits},
              {"parent_id", post_id},
              {"created_time", now / 1000},
              {"item", "comment"},
              {"verb", "add"}}}}}}}}}});
  HttpRequest req;
  req.url = base_url + "/webhooks/meta";
  req.body = body;
  req.headers = {{"X-Hub-Signature-256", security::SignHubSignature256(config_.app_secret, body)}};
  return req;
}

}  // namespace duplex
