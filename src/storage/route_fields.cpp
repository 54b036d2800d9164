#include "storage/route_fields.h"

#include "core/text.h"

namespace duplex::storage {
namespace {

std::string Join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out.push_back(sep);
    out += s;
  }
  return out;
}

std::vector<std::string> SplitNonEmpty(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (auto& item : text::Split(s, sep)) {
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

RouteFields EncodeRouteFields(const Route& r) {
  std::vector<std::string> kinds;
  for (MentionKind k : r.kinds) kinds.emplace_back(ToString(k));
  return {Join({r.platforms.begin(), r.platforms.end()}, ','), Join(kinds, ','),
          Join(r.keywords, '\n')};
}

void DecodeRouteFields(const RouteFields& fields, Route& r) {
  for (auto& p : SplitNonEmpty(fields.platforms, ',')) r.platforms.insert(std::move(p));
  for (const auto& k : SplitNonEmpty(fields.kinds, ',')) {
    if (auto kind = ParseMentionKind(k)) r.kinds.insert(*kind);
  }
  r.keywords = SplitNonEmpty(fields.keywords, '\n');
}

}  // namespace duplex::storage
