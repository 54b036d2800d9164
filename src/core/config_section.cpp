#include "core/config_section.h"

namespace duplex {

ConfigSection::ConfigSection(const nlohmann::json& object, std::string path,
                             std::vector<std::string>& errors)
    : object_(object.is_object() ? object : Empty()), path_(std::move(path)), errors_(errors) {
  if (!object.is_object() && !object.is_null()) errors_.push_back(path_ + ": must be an object");
}

const nlohmann::json& ConfigSection::Empty() {
  static const nlohmann::json empty = nlohmann::json::object();
  return empty;
}

void ConfigSection::Error(const std::string& key, const std::string& problem) {
  errors_.push_back((path_.empty() ? key : path_ + "." + key) + ": " + problem);
}

bool ConfigSection::Has(const char* key) const {
  auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

bool ConfigSection::IsList(const char* key) const {
  auto it = object_.find(key);
  return it != object_.end() && it->is_array();
}

std::string ConfigSection::Required(const char* key) {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    Error(key, "required");
    return {};
  }
  if (!it->is_string()) {
    Error(key, "must be a string");
    return {};
  }
  auto v = it->get<std::string>();
  if (v.empty()) Error(key, "must not be empty");
  return v;
}

std::string ConfigSection::Secret(const char* key) {
  std::string v = Required(key);
  if (!v.empty() && v.size() < kMinSecretBytes) ShortSecret(key);
  return v;
}

void ConfigSection::ShortSecret(const std::string& key, const std::string& detail) {
  Error(key, "must be at least " + std::to_string(kMinSecretBytes) + " bytes" + detail +
                 ": it is all that authenticates requests, and a shorter one can be guessed");
}

std::string ConfigSection::String(const char* key, const std::string& fallback) {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return fallback;
  if (!it->is_string()) {
    Error(key, "must be a string");
    return fallback;
  }
  return it->get<std::string>();
}

std::int64_t ConfigSection::Int(const char* key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) {
    Error(key, "must be an integer");
    return fallback;
  }
  auto v = it->get<std::int64_t>();
  if (v < min || v > max) {
    Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return fallback;
  }
  return v;
}

double ConfigSection::Number(const char* key, double fallback, double min, double max) {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return fallback;
  if (!it->is_number()) {
    Error(key, "must be a number");
    return fallback;
  }
  auto v = it->get<double>();
  if (v < min || v > max) {
    Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return fallback;
  }
  return v;
}

bool ConfigSection::Bool(const char* key, bool fallback) {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    Error(key, "must be true or false");
    return fallback;
  }
  return it->get<bool>();
}

bool IsHttpUrl(const std::string& s) {
  return (s.rfind("http://", 0) == 0 && s.size() > 7) ||
         (s.rfind("https://", 0) == 0 && s.size() > 8);
}

std::string ConfigSection::Url(const char* key, const std::string& fallback, bool required) {
  std::string v = required ? Required(key) : String(key, fallback);
  if (v.empty()) return v;
  if (!IsHttpUrl(v)) {
    Error(key, "must be an http:// or https:// URL");
    return fallback;
  }
  const std::size_t host = v.find("://") + 3;
  const std::size_t at = v.find('@', host);
  if (at != std::string::npos && at < v.find_first_of("/?#", host)) {
    // duplex would not send them, and the host would then carry them into error messages,
    // logs and chat notices.
    Error(key, "must not hold user:password@ (duplex sends no credentials from a URL)");
    return fallback;
  }
  while (v.size() > 1 && v.back() == '/') v.pop_back();
  return v;
}

std::vector<std::string> ConfigSection::StringList(const char* key) {
  std::vector<std::string> out;
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        Error(std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
      } else {
        out.push_back((*it)[i].get<std::string>());
      }
    }
  } else {
    Error(key, "must be a string or a list of strings");
  }
  return out;
}

ConfigSection ConfigSection::Child(const char* key) {
  auto it = object_.find(key);
  std::string child_path = path_.empty() ? key : path_ + "." + key;
  if (it == object_.end() || it->is_null()) return ConfigSection(Empty(), child_path, errors_);
  return ConfigSection(*it, child_path, errors_);
}

}  // namespace duplex
