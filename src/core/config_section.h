// ConfigSection: typed reads from one object of the (already ${ENV}-expanded) config file.
// Every problem is appended to `errors` as "<json.path>: what is wrong", so the operator sees
// all of them at once; reads after an error return the default and go on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace duplex {

// The shortest HMAC key or shared token duplex accepts, in bytes: with a shorter one, anyone
// could guess it and sign or authenticate requests.
inline constexpr std::size_t kMinSecretBytes = 16;

class ConfigSection {
 public:
  ConfigSection(const nlohmann::json& object, std::string path, std::vector<std::string>& errors);

  const std::string& path() const { return path_; }
  bool Has(const char* key) const;
  bool IsList(const char* key) const;  // a JSON array
  std::string Required(const char* key);
  // Required, and at least kMinSecretBytes long.
  std::string Secret(const char* key);
  // Reports `key` as a secret shorter than kMinSecretBytes; `detail` says how it is counted.
  void ShortSecret(const std::string& key, const std::string& detail = "");
  std::string String(const char* key, const std::string& fallback = "");
  std::int64_t Int(const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  double Number(const char* key, double fallback, double min, double max);
  bool Bool(const char* key, bool fallback);
  // An http:// or https:// URL without a trailing slash or user:password@; empty allowed
  // unless required.
  std::string Url(const char* key, const std::string& fallback, bool required = false);
  // A string, or a list of strings (for keys that accept either).
  std::vector<std::string> StringList(const char* key);
  ConfigSection Child(const char* key);
  void Error(const std::string& key, const std::string& problem);

 private:
  static const nlohmann::json& Empty();
  const nlohmann::json& object_;
  std::string path_;
  std::vector<std::string>& errors_;
};

bool IsHttpUrl(const std::string& s);

}  // namespace duplex
