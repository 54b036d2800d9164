#include "core/routing/route.h"

#include "core/routing/regex_options.h"
#include "core/routing/text_match.h"
#include "core/text.h"

namespace duplex {

bool Route::operator==(const Route& o) const {
  return name == o.name && channel == o.channel && platforms == o.platforms && kinds == o.kinds &&
         keywords == o.keywords && regex == o.regex && min_followers == o.min_followers &&
         priority == o.priority && enabled == o.enabled;
}

std::string NormalizeRouteName(const std::string& name) {
  if (name.empty() || name.size() > 64) return {};
  std::string out = text::ToLowerAscii(name);
  for (char c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return {};
  }
  return out;
}

Status CheckRouteRegex(const std::string& pattern) {
  if (pattern.size() > kMaxRegexBytes) {
    return Status::Invalid("the regex is longer than " + std::to_string(kMaxRegexBytes) + " bytes");
  }
  RE2 re(pattern, routing::RouteRegexOptions());
  if (!re.ok()) return Status::Invalid("invalid regex: " + re.error());
  return Status::Ok();
}

Status ValidateRoute(const Route& r) {
  if (r.name.empty() || NormalizeRouteName(r.name) != r.name) {
    return Status::Invalid("a route name is 1 to 64 letters, digits, '_', '-' or '.'");
  }
  if (r.channel.empty()) return Status::Invalid("a route needs a channel");
  if (r.keywords.size() > kMaxKeywordsPerRoute) {
    return Status::Invalid("a route has at most " + std::to_string(kMaxKeywordsPerRoute) +
                           " keywords");
  }
  for (const auto& k : r.keywords) {
    if (k.empty()) return Status::Invalid("empty keyword");
    if (routing::NormalizeKeyword(k) != k)
      return Status::Invalid("keyword \"" + k + "\" is not normalized");
    if (k.size() > kMaxKeywordBytes) {
      return Status::Invalid("keyword \"" + text::TruncateUtf8(k, 20) + "\" is longer than " +
                             std::to_string(kMaxKeywordBytes) + " bytes");
    }
  }
  if (!r.regex.empty()) {
    if (Status s = CheckRouteRegex(r.regex); !s.ok()) return s;
  }
  if (r.min_followers && *r.min_followers < 0)
    return Status::Invalid("min_followers must be 0 or more");
  if (r.priority < 0 || r.priority > kMaxRoutePriority) {
    return Status::Invalid("priority must be between 0 and " + std::to_string(kMaxRoutePriority));
  }
  return Status::Ok();
}

}  // namespace duplex
