#include "security/untrusted_json.h"

namespace duplex::security {

int JsonNestingDepth(std::string_view text, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        max_depth = depth;
        if (max_depth > limit) return max_depth;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

Result<nlohmann::json> ParseUntrustedJson(std::string_view body, int max_depth) {
  if (JsonNestingDepth(body, max_depth) > max_depth) {
    return Status::Invalid("JSON nested too deeply");
  }
  auto parsed =
      nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::Invalid("invalid JSON body");
  return parsed;
}

Status GetString(const nlohmann::json& obj, const char* key, const std::string& path,
                 std::string& out) {
  if (!obj.is_object()) return Status::Invalid(path + " must be an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Status::Invalid(path + "." + key + " must be a string");
  out = it->get<std::string>();
  return Status::Ok();
}

Status GetInt(const nlohmann::json& obj, const char* key, const std::string& path,
              std::optional<std::int64_t>& out) {
  if (!obj.is_object()) return Status::Invalid(path + " must be an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (it->is_number_unsigned()) {
    auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX))
      return Status::Invalid(path + "." + key + " is out of range");
    out = static_cast<std::int64_t>(v);
    return Status::Ok();
  }
  if (it->is_number_integer()) {
    out = it->get<std::int64_t>();
    return Status::Ok();
  }
  return Status::Invalid(path + "." + key + " must be an integer");
}

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace duplex::security
