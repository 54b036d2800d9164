// How route regexes are compiled, in one place so that validation and routing agree.
#pragma once

#include <re2/re2.h>

namespace duplex::routing {

inline RE2::Options RouteRegexOptions() {
  RE2::Options o;
  o.set_log_errors(false);    // an admin's typo is answered in chat, not logged as an error
  o.set_never_capture(true);  // only "does it match" is asked
  o.set_max_mem(4 << 20);     // per regex; past it RE2 falls back to a slower, still linear, engine
  return o;
}

}  // namespace duplex::routing
