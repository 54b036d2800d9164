// application/x-www-form-urlencoded bodies (Slack and Mattermost slash commands and
// interactivity). Parsed by duplex itself: cpp-httplib refuses such bodies over 8 KiB.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex {

class Form {
 public:
  static Form Parse(std::string_view body);
  // The first value of `key`; empty when absent.
  std::string Get(const std::string& key) const;
  bool Has(const std::string& key) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace duplex
