// The config file's schema: every key duplex reads, with its shape, its default, its bounds
// and whether it is a secret. This one table is the only place a default is written: it
// fills in the defaults before validation, finds unknown keys (with the nearest known key),
// names the expected shape of a wrong value, and is what print-config and its test follow.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace duplex {

enum class KeyShape {
  kObject,        // keys are the schema entries below it
  kRouteMinutes,  // any key (a route name), each an integer (sla.routes)
  kString,
  kInt,
  kNumber,
  kBool,
  kStringOrList,  // a string, or a list of strings
};

struct ConfigKey {
  ConfigKey(std::string path, KeyShape shape, nlohmann::json default_value, double min = 0,
            double max = 0, bool secret = false, std::string chat_kind = "")
      : path(std::move(path)),
        shape(shape),
        default_value(std::move(default_value)),
        min(min),
        max(max),
        secret(secret),
        chat_kind(std::move(chat_kind)) {}

  std::string path;  // "listen.port", "platforms.meta.api_base"
  KeyShape shape;
  // The value when the key is absent; null when there is none (required, or derived, or
  // simply empty when absent, as the key's reader decides).
  nlohmann::json default_value;
  double min = 0;  // bounds of kInt and kNumber keys (when max > min)
  double max = 0;
  bool secret = false;
  // Non-empty: the key belongs to this chat.kind only; its default applies only there.
  std::string chat_kind;
};

const std::vector<ConfigKey>& ConfigSchema();
const ConfigKey* FindConfigKey(const std::string& path);

// Appends "<path>: problem" for every key the schema does not know (naming the nearest known
// key when one is close) and every value of the wrong shape ("must be an object
// {"per_second": number, "burst": number}"). null counts as absent.
void CheckConfigShape(const nlohmann::json& doc, std::vector<std::string>& errors);

// Fills in every default of the schema. Platform sections get theirs only when present (a
// platform without a section is off); chat keys only for their chat.kind. `doc` must have
// passed CheckConfigShape.
void ApplyConfigDefaults(nlohmann::json& doc);

// "an integer", "an object {"per_second": number, "burst": number}", ...
std::string ShapeDescription(const ConfigKey& key);

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours each cost 1 ("defualt" is 1 from "default").
std::size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace duplex
