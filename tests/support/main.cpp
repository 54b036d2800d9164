// The test runner's main: doctest, plus a guard that fails a run in which no test case ran.
// ctest runs one case per process by name; a name ctest cannot pass through intact (one with
// a ';' is split by CMake) would otherwise match nothing and "pass" without running. The e2e
// run on PostgreSQL (support/e2e_store.h) without a server runs nothing and says it skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>

#include "support/e2e_store.h"
#include "support/pg_test_db.h"

namespace {

std::atomic<int> g_cases_started{0};

struct CountingListener : doctest::IReporter {
  explicit CountingListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++g_cases_started; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("count-cases", 1, CountingListener);

}  // namespace

int main(int argc, char** argv) {
  if (duplex::test::E2eOnPostgres() && duplex::test::SkipWithoutPostgres()) return 0;
  doctest::Context context(argc, argv);
  int result = context.run();
  if (context.shouldExit()) return result;
  if (result == 0 && g_cases_started == 0) {
    std::fprintf(stderr, "no test case matched the filter: nothing ran\n");
    return 1;
  }
  return result;
}
