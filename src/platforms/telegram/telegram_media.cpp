#include "platforms/telegram/telegram_media.h"

#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "core/text.h"

namespace duplex::telegram {
namespace {

using nlohmann::json;

// Names and questions come from the customer: long ones are cut so the label stays a label.
constexpr std::size_t kMaxPartChars = 200;

const json* Object(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

std::string Str(const json& obj, const char* key) {
  return text::TruncateUtf8(JsonString(obj, key), kMaxPartChars);
}

std::optional<std::int64_t> Int(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::optional<double> Number(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// " 0:07" for a media object with a duration, "" without one.
std::string Duration(const json& media) {
  auto seconds = Int(media, "duration");
  return seconds && *seconds >= 0 ? " " + FormatDuration(*seconds) : "";
}

std::string Joined(const std::string& a, const std::string& sep, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + sep + b;
}

std::string Location(const json& location) {
  auto lat = Number(location, "latitude");
  auto lon = Number(location, "longitude");
  if (!lat || !lon) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5f, %.5f", *lat, *lon);
  return buf;
}

std::string Poll(const json& poll) {
  std::string options;
  auto it = poll.find("options");
  if (it != poll.end() && it->is_array()) {
    for (const auto& o : *it) {
      if (o.is_object()) options = Joined(options, " / ", Str(o, "text"));
    }
  }
  std::string out = "[poll: " + Str(poll, "question");
  if (!options.empty()) out += " (" + text::TruncateUtf8(options, kMaxPartChars) + ")";
  return out + "]";
}

}  // namespace

std::string FormatDuration(std::int64_t seconds) {
  char buf[32];
  if (seconds >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  }
  return buf;
}

bool IsLocation(const json& message) {
  return Object(message, "location") != nullptr || Object(message, "venue") != nullptr;
}

std::string DescribeMedia(const json& m) {
  auto it = m.find("photo");
  if (it != m.end() && it->is_array()) return "[photo]";
  // An animation also fills `document` (for older clients): it is checked first.
  if (const json* a = Object(m, "animation")) return "[GIF" + Duration(*a) + "]";
  if (const json* v = Object(m, "video")) return "[video" + Duration(*v) + "]";
  if (const json* v = Object(m, "video_note")) return "[video message" + Duration(*v) + "]";
  if (const json* v = Object(m, "voice")) return "[voice message" + Duration(*v) + "]";
  if (const json* a = Object(m, "audio")) {
    std::string name = Joined(Str(*a, "performer"), " – ", Str(*a, "title"));
    if (name.empty()) name = Str(*a, "file_name");
    return "[audio" + (name.empty() ? "" : ": " + name) + Duration(*a) + "]";
  }
  if (const json* d = Object(m, "document")) {
    const std::string name = Str(*d, "file_name");
    return "[document" + (name.empty() ? "" : ": " + name) + "]";
  }
  if (const json* s = Object(m, "sticker")) {
    const std::string emoji = Str(*s, "emoji");
    return "[sticker" + (emoji.empty() ? "" : " " + emoji) + "]";
  }
  // A venue carries its location too: the venue says more.
  if (const json* v = Object(m, "venue")) {
    return "[venue: " + Joined(Str(*v, "title"), ", ", Str(*v, "address")) + "]";
  }
  if (const json* l = Object(m, "location")) {
    const std::string where = Location(*l);
    const bool live = Int(*l, "live_period").has_value();
    return std::string(live ? "[live location" : "[location") + (where.empty() ? "" : " " + where) +
           "]";
  }
  if (const json* c = Object(m, "contact")) {
    const std::string name = Joined(Str(*c, "first_name"), " ", Str(*c, "last_name"));
    return "[contact: " + Joined(name, " ", Str(*c, "phone_number")) + "]";
  }
  if (const json* p = Object(m, "poll")) return Poll(*p);
  if (const json* d = Object(m, "dice")) {
    auto value = Int(*d, "value");
    return "[dice " + Str(*d, "emoji") + (value ? " " + std::to_string(*value) : "") + "]";
  }
  return "";
}

}  // namespace duplex::telegram
