#include "core/version.h"

namespace duplex {

const char* Version() {
  return DUPLEX_VERSION;
}

}  // namespace duplex
