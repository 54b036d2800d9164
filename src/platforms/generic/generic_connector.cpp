#include "platforms/generic/generic_connector.h"

#include <nlohmann/json.hpp>

#include "core/config_section.h"
#include "core/text.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

std::unique_ptr<PlatformConnector> MakeGenericConnector(const json& config, const std::string& path,
                                                        std::vector<std::string>& errors,
                                                        HttpClient* /*http*/) {
  ConfigSection section(config, path, errors);
  GenericConfig c;
  c.secret = section.Required("secret");
  if (!c.secret.empty() && security::StandardWebhookKey(c.secret).size() < kMinSecretBytes) {
    section.ShortSecret("secret",
                        " once decoded (whsec_ and the key in base64; make one with "
                        "\"echo whsec_$(openssl rand -base64 32)\")");
  }
  c.reply_url = section.Url("reply_url", "");
  c.ca_file = section.String("ca_file");
  c.timeout_ms = static_cast<int>(section.Int("timeout_ms", 10'000, 100, 120'000));
  return std::make_unique<GenericConnector>(std::move(c));
}

Status GenericConnector::Verify(const InboundRequest& r) const {
  return security::VerifyStandardWebhook(config_.secret, r.Header("webhook-id"),
                                         r.Header("webhook-timestamp"),
                                         r.Header("webhook-signature"), r.body, r.now / 1000);
}

Result<ParsedWebhook> GenericConnector::Parse(const InboundRequest& r) const {
  auto parsed = security::ParseUntrustedJson(r.body);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  if (!body.is_object()) return Status::Invalid("body must be a JSON object");

  Mention m;
  m.platform = kGenericPlatform;
  m.event_id = r.Header("webhook-id");
  // Header bytes are not checked by any JSON parser; stored ids must be text.
  if (text::SanitizeUtf8(m.event_id) != m.event_id)
    return Status::Invalid("webhook-id must be UTF-8");
  std::string kind = "mention";
  for (Status s : {security::GetString(body, "id", "body", m.message_id),
                   security::GetString(body, "conversation", "body", m.conversation_key),
                   security::GetString(body, "kind", "body", kind),
                   security::GetString(body, "text", "body", m.text),
                   security::GetString(body, "url", "body", m.permalink),
                   security::GetString(body, "in_reply_to", "body", m.parent_message_id)}) {
    if (!s.ok()) return s;
  }
  if (!body.contains("text")) return Status::Invalid("body.text is required");
  auto parsed_kind = ParseMentionKind(kind);
  if (!parsed_kind) return Status::Invalid("body.kind must be direct, mention, comment or dm");
  m.kind = *parsed_kind;

  auto author = body.find("author");
  if (author == body.end() || !author->is_object()) {
    return Status::Invalid("body.author must be an object");
  }
  for (Status s : {security::GetString(*author, "id", "body.author", m.author.id),
                   security::GetString(*author, "handle", "body.author", m.author.handle),
                   security::GetString(*author, "name", "body.author", m.author.name),
                   security::GetInt(*author, "followers", "body.author", m.author.followers)}) {
    if (!s.ok()) return s;
  }
  if (m.author.id.empty() && m.author.handle.empty()) {
    return Status::Invalid("body.author needs an id or a handle");
  }
  if (m.author.id.empty()) m.author.id = m.author.handle;
  if (m.author.handle.empty()) m.author.handle = m.author.id;
  if (m.message_id.empty()) m.message_id = m.event_id;
  if (m.conversation_key.empty()) m.conversation_key = m.message_id;
  m.reply_target =
      security::DumpJson(json{{"conversation", m.conversation_key}, {"in_reply_to", m.message_id}});

  ParsedWebhook out;
  out.mentions.push_back(std::move(m));
  return out;
}

DeliveryOutcome GenericConnector::SendReply(const ReplyRequest& reply, HttpClient& http) const {
  if (config_.reply_url.empty()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "platforms.generic.reply_url is not configured");
  }
  std::string conversation = reply.conversation_key;
  std::string in_reply_to = reply.in_reply_to;
  auto target = json::parse(reply.reply_target, nullptr, false);
  if (target.is_object()) {
    conversation = target.value("conversation", conversation);
    in_reply_to = target.value("in_reply_to", in_reply_to);
  }
  const std::string id = "duplex-reply-" + std::to_string(reply.delivery_id);
  const std::string body = security::DumpJson(json{{"type", "reply"},
                                                   {"conversation", conversation},
                                                   {"in_reply_to", in_reply_to},
                                                   {"text", reply.text},
                                                   {"id", id}});
  const std::string ts = std::to_string(reply.now / 1000);
  HttpRequest req;
  req.url = config_.reply_url;
  req.body = body;
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  req.headers = {
      {"webhook-id", id},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(config_.secret, id, ts, body)}};
  HttpResult res = http.Send(req);
  if (res.ok() && res.response.status >= 200 && res.response.status < 300) {
    std::string url;
    auto answer = json::parse(res.response.body, nullptr, false);
    if (answer.is_object() && answer.contains("url") && answer["url"].is_string()) {
      url = answer["url"].get<std::string>();
    }
    return DeliveryOutcome::Done(id, url);
  }
  if (res.ok() && res.response.status == 410) {
    return DeliveryOutcome::Fail(
        OutcomeKind::kPermanent,
        "the reply receiver answered 410 Gone: it no longer accepts replies");
  }
  DeliveryOutcome o = ClassifyHttpFailure(res, "the reply receiver");
  // Same webhook-id on every attempt: the receiver drops repeats, so resending is safe.
  if (o.kind == OutcomeKind::kUncertain) o.kind = OutcomeKind::kRetry;
  return o;
}

HttpRequest GenericConnector::SampleWebhook(const std::string& base_url, const std::string& text,
                                            const std::string& event_id, UnixMs now) const {
  const std::string body =
      security::DumpJson(json{{"id", "msg-" + event_id},
                              {"conversation", "sample-conversation"},
                              {"kind", "direct"},
                              {"author",
                               {{"id", "cust-1"},
                                {"handle", "ana_customer"},
                                {"name", "Ana Customer"},
                                {"followers", 1250}}},
                              {"text", text},
                              {"url", "https://crm.example.com/messages/msg-" + event_id}});
  const std::string ts = std::to_string(now / 1000);
  HttpRequest req;
  req.url = base_url + "/webhooks/generic";
  req.body = body;
  req.headers = {
      {"webhook-id", event_id},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(config_.secret, event_id, ts, body)}};
  return req;
}

}  // namespace duplex
