#include "core/instance_id.h"

#include <unistd.h>

#include <cstdio>
#include <random>

namespace duplex {

std::string NewInstanceId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
    std::snprintf(host, sizeof host, "host");
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rd()));
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

}  // namespace duplex
