// The Slack app manifest for duplex: the two slash commands, the Events API subscription
// (thread messages and mentions), interactivity, and only the bot scopes duplex uses.
// Its one source is deploy/slack/manifest.json, compiled in at build time, so the file an
// operator reads and what `duplex slack-manifest` prints cannot drift apart.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace duplex {

// The base URL that stands in deploy/slack/manifest.json for the operator's public_url.
inline constexpr const char* kManifestPlaceholderUrl = "https://duplex.example.com";

// deploy/slack/manifest.json as it was when this binary was built.
const nlohmann::ordered_json& SlackManifestTemplate();

// The manifest with every URL moved under `public_url` (http or https, any trailing slash
// dropped; a path such as https://example.com/duplex is kept). InvalidArgument if
// `public_url` is empty or not an http(s) URL.
Result<nlohmann::ordered_json> SlackManifest(std::string public_url);

}  // namespace duplex
