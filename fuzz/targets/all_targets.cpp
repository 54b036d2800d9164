#include "fuzz/fuzz_targets.h"

namespace duplex::fuzz {

const std::vector<FuzzTarget>& AllTargets() {
  static const std::vector<FuzzTarget> targets = {
#define DUPLEX_FUZZ_TARGET(name, function) {#name, function},
#include "fuzz/targets.def"
#undef DUPLEX_FUZZ_TARGET
  };
  return targets;
}

}  // namespace duplex::fuzz
