// The libFuzzer entry point of one target; DUPLEX_FUZZ_FUNCTION names it (fuzz/CMakeLists.txt).
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return duplex::fuzz::DUPLEX_FUZZ_FUNCTION(data, size);
}
