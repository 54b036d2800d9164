// What `duplex print-config` shows: the configuration duplex runs with, every default filled
// in, and every secret replaced by "***", so it can be pasted into an issue or a chat.
#pragma once

#include <nlohmann/json.hpp>

#include "app/config.h"

namespace duplex {

inline constexpr const char* kRedacted = "***";

// `config` as a config document with the same keys a config file uses: every key of the
// schema that has a value, defaults included, as duplex runs with it (lists normalised,
// URLs without a trailing slash).
nlohmann::json EffectiveConfig(const Config& config);

// Replaces every secret in a config document with "***": the keys the config schema marks
// secret, any key whose name
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
