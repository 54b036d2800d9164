// WhatsApp Cloud API webhooks: customer messages (text, media with captions, interactive
// replies, locations, contacts) and the statuses that report a reply failed after acceptance.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "platforms/meta/meta_parse_support.h"
#include "platforms/meta/meta_target.h"
#include "security/untrusted_json.h"

namespace duplex::meta_parse {

using nlohmann::json;

namespace {

// --- WhatsApp Cloud API ----------------------------------------------------------------------

std::string WhatsAppText(Reader& rd, const json& msg, const std::string& type) {
  const std::string path = "value.messages[]";
  if (type == "text") {
    if (const json* t = rd.Obj(msg, "text", path)) return rd.Str(*t, "body", path + ".text");
    return {};
  }
  if (type == "image" || type == "video" || type == "document" || type == "audio" ||
      type == "sticker") {
    std::string caption;
    if (const json* media = rd.Obj(msg, type.c_str(), path))
      caption = rd.Str(*media, "caption", path + "." + type);
    return AttachmentText(type, caption);
  }
  if (type == "button") {
    if (const json* b = rd.Obj(msg, "button", path)) return rd.Str(*b, "text", path + ".button");
    return {};
  }
  if (type == "interactive") {
    if (const json* i = rd.Obj(msg, "interactive", path)) {
      for (const char* k : {"button_reply", "list_reply"}) {
        if (const json* r = rd.Obj(*i, k, path + ".interactive"))
          return rd.Str(*r, "title", path + ".interactive");
      }
    }
    return AttachmentText("interactive", "");
  }
  if (type == "location") {
    std::string where;
    if (const json* l = rd.Obj(msg, "location", path)) {
      where = rd.Str(*l, "name", path + ".location");
      std::string address = rd.Str(*l, "address", path + ".location");
      if (!address.empty()) where += (where.empty() ? "" : ", ") + address;
    }
    return AttachmentText("location", where);
  }
  return AttachmentText(type.empty() ? "message" : type, "");
}

// Meta's reason for a failed status, in words staff can act on. 131047 and 131026 are the
// failures a support reply meets (Cloud API error codes); others keep Meta's own title.
std::string WhatsAppFailureReason(const json* error) {
  std::int64_t code = 0;
  std::string title, message, details;
  if (error != nullptr) {
    if (auto c = error->find("code"); c != error->end() && c->is_number_integer()) {
      code = c->get<std::int64_t>();
    } else if (c != error->end() && c->is_string()) {
      code = text::ParseInt64(c->get<std::string>()).value_or(0);
    }
    title = JsonString(*error, "title");
    message = JsonString(*error, "message");
    if (auto d = error->find("error_data"); d != error->end() && d->is_object()) {
      details = JsonString(*d, "details");
    }
  }
  std::string why;
  if (code == 131047) {
    why =
        "the 24-hour window has closed: the customer must write first, or a template message "
        "is needed";
  } else if (code == 131026) {
    why =
        "undeliverable: WhatsApp could not deliver it to this customer (for example, the "
        "number is not on WhatsApp, their app is out of date, or they blocked the business)";
  } else {
    // Meta's sentences end with a period; joined here, they should not.
    auto bare = [](std::string s) {
      while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
      return s;
    };
    why = bare(!title.empty() ? title : !message.empty() ? message : "no reason given");
    if (!details.empty() && bare(details) != why) why += ": " + bare(details);
    why = text::TruncateUtf8(why, 400);
  }
  return "WhatsApp could not deliver it: " + why +
         (code != 0 ? " (WhatsApp error " + std::to_string(code) + ")." : ".");
}

// statuses[]: sent, delivered and read need nothing; a failed one is a report on our reply.
void ParseWhatsAppStatuses(Context& ctx, const std::vector<const json*>& statuses) {
  for (const json* st : statuses) {
    if (JsonString(*st, "status") != "failed") continue;
    Reader rd;
    const std::string wamid = rd.Str(*st, "id", "value.statuses[]", true);
    std::vector<const json*> errors = rd.List(*st, "errors", "value.statuses[]");
    if (!rd.ok()) {
      Skip(rd.why());
      continue;
    }
    DeliveryReport report;
    report.event_id = "wa:status:" + wamid + ":failed";
    report.remote_id = wamid;
    report.failed = true;
    report.reason = WhatsAppFailureReason(errors.empty() ? nullptr : errors.front());
    ctx.out.delivery_reports.push_back(std::move(report));
  }
}

// Who wrote: the phone number (messages[].from / contacts[].wa_id) when Meta shares it, and
// the business-scoped user id (from_user_id / user_id) always since 2026. A username user may
// come with the BSUID alone.
struct WhatsAppSender {
  std::string phone, bsuid, name, username;
  const std::string& key() const { return phone.empty() ? bsuid : phone; }
};

}  // namespace

void ParseWhatsAppChange(Context& ctx, const json& value) {
  Reader rd;
  std::vector<const json*> messages = rd.List(value, "messages", "value");
  std::vector<const json*> statuses = rd.List(value, "statuses", "value");
  if (!rd.ok()) return Skip(rd.why());
  // errors[] at this level are app- or account-level problems, not about one message.
  if (value.contains("errors")) {
    log::Warn("whatsapp reported an account-level error",
              {{"errors", text::TruncateUtf8(security::DumpJson(value["errors"]), 300)}});
  }
  ParseWhatsAppStatuses(ctx, statuses);
  if (messages.empty()) return;
  const json* metadata = rd.Obj(value, "metadata", "value", true);
  std::string phone_number_id;
  if (metadata) phone_number_id = rd.Str(*metadata, "phone_number_id", "value.metadata", true);
  std::vector<const json*> contacts = rd.List(value, "contacts", "value");
  if (!rd.ok()) return Skip(rd.why());
  if (!meta::IsGraphId(phone_number_id))
    return Skip("value.metadata.phone_number_id is not a Graph id");

  for (const json* msg : messages) {
    Reader mr;
    const std::string wamid = mr.Str(*msg, "id", "value.messages[]", true);
    WhatsAppSender who;
    who.phone = mr.Str(*msg, "from", "value.messages[]");
    who.bsuid = mr.Str(*msg, "from_user_id", "value.messages[]");
    const std::string type = mr.Str(*msg, "type", "value.messages[]");
    std::string context_id;
    if (const json* c = mr.Obj(*msg, "context", "value.messages[]"))
      context_id = mr.Str(*c, "id", "value.messages[].context");
    // A reaction is an emoji on an earlier message, not something to answer.
    if (type == "reaction") continue;
    std::string text = WhatsAppText(mr, *msg, type);
    if (!mr.ok()) {
      Skip(mr.why());
      continue;
    }
    if (!who.phone.empty() && !meta::IsGraphId(who.phone)) {
      Skip("value.messages[].from is not a phone number");
      continue;
    }
    if (!who.bsuid.empty() && !meta::IsBsuid(who.bsuid)) {
      Skip("value.messages[].from_user_id is not a business-scoped user id");
      continue;
    }
    if (who.key().empty()) {
      Skip("value.messages[] has neither from nor from_user_id");
      continue;
    }
    for (const json* c : contacts) {
      const bool same = (!who.phone.empty() && JsonString(*c, "wa_id") == who.phone) ||
                        (!who.bsuid.empty() && JsonString(*c, "user_id") == who.bsuid);
      if (!same) continue;
      if (auto p = c->find("profile"); p != c->end() && p->is_object()) {
        who.name = JsonString(*p, "name");
        who.username = JsonString(*p, "username");
      }
    }
    // Usernames are shown with an @ by chat; Meta's may or may not carry one.
    if (!who.username.empty() && who.username[0] == '@') who.username.erase(0, 1);

    Mention m;
    m.platform = kMetaPlatform;
    m.event_id = "wa:" + wamid;
    m.kind = MentionKind::kDm;
    m.author.id = who.key();
    m.author.handle = !who.phone.empty()      ? "+" + who.phone
                      : !who.username.empty() ? who.username
                                              : who.bsuid;
    m.author.name = who.name;
    m.text = text;
    if (!who.phone.empty()) m.permalink = "https://wa.me/" + who.phone;
    m.conversation_key = "wa:" + phone_number_id + ":" + who.key();
    m.message_id = wamid;
    m.parent_message_id = context_id;
    json target = {{"type", meta::kWhatsApp}, {"phone_number_id", phone_number_id}};
    if (!who.phone.empty()) target["to"] = who.phone;
    if (!who.bsuid.empty()) target["user_id"] = who.bsuid;
    target["message_id"] = wamid;
    m.reply_target = security::DumpJson(target);
    m.account = phone_number_id;
    ctx.out.mentions.push_back(std::move(m));
  }
}

}  // namespace duplex::meta_parse
