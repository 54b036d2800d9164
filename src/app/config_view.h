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
// contains "token", "secret", "password" or "private", and in any URL the user information
// (user:password@ → ***@) and every query value (?api_key=*** ; a query item without "=" is
// *** whole). Empty values stay empty, so "not set" remains visible.
void RedactSecrets(nlohmann::json& document);

// Every value of `document` that came from the environment reads "***(from ${NAME})" (all the
// variables its string named, comma-separated), whatever its key: an operator keeps secrets in
// variables, and which variable fed a key is what helps. `unexpanded` is the file as written
// (${NAME} references kept); a value that expanded to "" stays "".
void RedactEnvValues(nlohmann::json& document, const nlohmann::json& unexpanded);

}  // namespace duplex
