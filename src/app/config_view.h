// What `duplex print-config` shows: the configuration duplex runs with, every default filled
// in, and every secret replaced by "***", so it can be pasted into an issue or a chat.
#pragma once

#include <nlohmann/json.hpp>

#include "app/config.h"

namespace duplex {

inline constexpr const char* kRedacted = "***";

// `config` (validated, defaults applied) as a config document with the same keys a config
// file uses. Keys duplex does not model (and platform sections, whose defaults their
// connectors keep) come from `document`, the file as read with ${ENV} expanded.
nlohmann::json EffectiveConfig(const Config& config, const nlohmann::json& document);

// Replaces every secret in a config document with "***": the keys each platform's registry
// entry lists as secret, chat.bot_token / signing_secret / command_token, any key whose name
// contains "token", "secret", "password" or "private", and the password part of any URL
// written user:password@host. Empty values stay empty, so "not set" remains visible.
void RedactSecrets(nlohmann::json& document);

}  // namespace duplex
