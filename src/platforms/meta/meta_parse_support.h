#pragma once
// What the Meta webhook parsers share (meta_parse.cpp, meta_whatsapp_parse.cpp): a reader of
// untrusted fields that keeps the first problem, lenient reads, and the parse context.
// Internal to src/platforms/meta.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/log.h"
#include "platforms/meta/meta_connector.h"
#include "security/untrusted_json.h"

namespace duplex::meta_parse {

using nlohmann::json;

// A string field of an untrusted object: absent or null gives "", any other type is a problem.
// `required` also makes "" a problem. Problems are kept in `why` (first one wins).
class Reader {
 public:
  std::string Str(const json& obj, const char* key, const std::string& path,
                  bool required = false) {
    std::string out;
    Status s = security::GetString(obj, key, path, out);
    if (!s.ok()) {
      Fail(s.message());
    } else if (required && out.empty()) {
      Fail(path + "." + key + " is required");
    }
    return out;
  }
  // A nested object; null when absent (a problem if required or of another type).
  const json* Obj(const json& obj, const char* key, const std::string& path,
                  bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) Fail(path + "." + key + " is required");
      return nullptr;
    }
    if (!it->is_object()) {
      Fail(path + "." + key + " must be an object");
      return nullptr;
    }
    return &*it;
  }
  // An array of objects; empty when absent.
  std::vector<const json*> List(const json& obj, const char* key, const std::string& path) {
    std::vector<const json*> out;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array()) {
      Fail(path + "." + key + " must be an array");
      return out;
    }
    for (const auto& e : *it) {
      if (!e.is_object()) {
        Fail(path + "." + key + "[] must hold objects");
        return {};
      }
      out.push_back(&e);
    }
    return out;
  }
  void Fail(const std::string& why) {
    if (why_.empty()) why_ = why;
  }
  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  std::string why_;
};

// Lenient reads for fields that only refine a message (never throw on a wrong type).
inline bool IsTrue(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

inline void Skip(const std::string& why) {
  log::Warn("meta webhook item skipped", {{"reason", why}});
}

// Text for messages that carry an attachment instead of (or besides) text.
inline std::string AttachmentText(const std::string& kind, const std::string& caption) {
  std::string out = "[" + (kind.empty() ? std::string("attachment") : kind) + "]";
  if (!caption.empty()) out += " " + caption;
  return out;
}

struct Context {
  const MetaConfig& config;
  HttpClient* http;
  SelfIdentity& self;
  UnixMs now;
  ParsedWebhook& out;
};

// A WhatsApp Cloud API `messages` change: customer messages become mentions, failed statuses
// delivery reports (meta_whatsapp_parse.cpp).
void ParseWhatsAppChange(Context& ctx, const nlohmann::json& value);

}  // namespace duplex::meta_parse
