// The fuzz targets, replayed with the normal build: every input libFuzzer once crashed on
// (tests/fixtures/fuzz/<target>/) and every committed seed (fuzz/corpus/<target>/seed-*)
// goes through the same function scripts/fuzz runs, so a fixed crash stays fixed and the
// targets keep building and passing their own checks.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/fuzz_targets.h"
#include "support/test_util.h"

namespace duplex {
namespace {

namespace fs = std::filesystem;

// Runs every file in `dir` whose name starts with `prefix`; returns how many.
int ReplayDir(const fuzz::FuzzTarget& target, const fs::path& dir, const std::string& prefix) {
  if (!fs::is_directory(dir)) return 0;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename().string().rfind(prefix, 0) != 0) {
      continue;
    }
    const std::string bytes = test::ReadFile(entry.path().string());
    INFO("input: ", entry.path().string());
    CHECK(target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
    ++n;
  }
  return n;
}

// Some inputs were slow rather than crashing (quadratic scans of 1 MiB of unmatched quotes or
// brackets took a minute): a bound far above the milliseconds they take now catches those
// coming back, the way libFuzzer's own -timeout does.
TEST_CASE("fuzz: every crash or hang input found so far is handled, in every target" *
          doctest::timeout(60)) {
  const fs::path fixtures = fs::path(DUPLEX_FIXTURES_DIR) / "fuzz";
  int total = 0;
  for (const auto& target : fuzz::AllTargets())
    total += ReplayDir(target, fixtures / target.name, "");
  MESSAGE("replayed ", total, " crash inputs");
  // Every fixture folder belongs to a target (a renamed target must take its inputs along).
  if (fs::is_directory(fixtures)) {
    for (const auto& dir : fs::directory_iterator(fixtures)) {
      bool known = false;
      for (const auto& target : fuzz::AllTargets())
        known = known || dir.path().filename() == target.name;
      CHECK_MESSAGE(known, dir.path().string());
    }
  }
}

TEST_CASE("fuzz: every target runs its committed seeds and the empty input") {
  for (const auto& target : fuzz::AllTargets()) {
    INFO("target: ", target.name);
    CHECK(target.run(nullptr, 0) == 0);
    const int seeds = ReplayDir(target, fs::path(DUPLEX_FUZZ_CORPUS_DIR) / target.name, "seed-");
    CHECK(seeds > 0);
  }
}

}  // namespace
}  // namespace duplex
