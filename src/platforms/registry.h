// The platform registry: which connectors exist and how each is built from its config
// section. Adding a platform is one entry in registry.cpp.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"

namespace duplex {

// Builds a connector from `config` (the platforms.<name> object, ${ENV} already expanded).
// Appends "<path>.<key>: problem" lines to `errors` and returns null when it cannot.
// `http` is for connectors that must call their platform while parsing a webhook (to fetch
// what the webhook leaves out); it is null when the config is only being validated.
using ConnectorFactory = std::function<std::unique_ptr<PlatformConnector>(
    const nlohmann::json& config, const std::string& path, std::vector<std::string>& errors,
    HttpClient* http)>;

struct PlatformEntry {
  std::string name;
  ConnectorFactory factory;
  std::vector<std::string> secret_keys;  // config keys to mask in print-config
};

const std::vector<PlatformEntry>& KnownPlatforms();
const PlatformEntry* FindPlatform(const std::string& name);

// The configured connectors, by name.
using ConnectorMap = std::map<std::string, std::unique_ptr<PlatformConnector>>;

}  // namespace duplex
