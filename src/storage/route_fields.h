// Internal to the stores: how a route's sets and lists are kept in text columns (platforms
// and kinds comma-separated names, keywords one per line: they are normalized, no newlines).
#pragma once

#include <string>

#include "core/routing/route.h"

namespace duplex::storage {

struct RouteFields {
  std::string platforms;
  std::string kinds;
  std::string keywords;
};

RouteFields EncodeRouteFields(const Route& r);
void DecodeRouteFields(const RouteFields& fields, Route& r);

}  // namespace duplex::storage
