// Lenient reads of JSON fields that only refine what duplex already knows (a display name, an
// id in an API's answer, an optional part of a webhook): a missing field, a field of another
// type or a `j` that is not an object reads as empty. They never throw. Fields a webhook
// cannot do without are read with security::GetString, which says what is wrong.
#pragma once

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace duplex {

// The string `obj[key]`; empty unless it is one.
std::string JsonString(const nlohmann::json& obj, const char* key);

// The string at `path` ({"user", "id"}: obj["user"]["id"]); empty when any step is missing or
// not of the expected type.
std::string JsonStringAt(const nlohmann::json& j, std::initializer_list<const char*> path);

}  // namespace duplex
