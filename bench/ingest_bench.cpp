// Ingest benchmark (issue 8): correctly signed generic webhooks against `duplex serve` with
// durable commits (WAL, synchronous=FULL), against a bare cpp-httplib server answering 200
// to the same POSTs, with the same load tool (wrk, 2 threads), at 8 and 64 connections.
// Also duplex with group commit off (one transaction and fsync per request), the batch sizes
// group commit formed (from /metrics), and the memory (RSS) of both servers idle and loaded.
//
//   build/bench/ingest_bench [--seconds S] [--rounds R] [--connections 8,64]
//                            [--requests-per-thread N] [--sign-only PREFIX] [--compare
//                            [LABEL=]DUPLEX]...
//
// Rounds are interleaved (bare, duplex, duplex without batching; then again) and each figure
// is the best round, so a burst of load from elsewhere on the machine hurts one round only.
// Every duplex run gets a fresh database and fresh pre-signed requests (unique ids, signed
// seconds before the run, inside the 5-minute window). The chat side is realistic and out
// of the way: a fake Slack with duplex's default rate limit (one post per second).
// Progress goes to stderr; the Markdown for bench/README.md goes to stdout.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.h"

#ifndef DUPLEX_BINARY
#error "DUPLEX_BINARY must name the duplex executable"
#endif
#ifndef BARE_SERVER_BINARY
#error "BARE_SERVER_BINARY must name the bare_server executable"
#endif

namespace duplex::bench {
namespace {

constexpr int kWrkThreads = 2;
constexpr int kHttpThreads = 64;    // duplex's default listen.threads, and the bare server's
constexpr int kKeepAliveMax = 100;  // HttpServerOptions::keep_alive_max_requests: same transport
const char* const kBucketNames[7] = {"1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"};

struct Run {
  WrkResult wrk;
  double cpu_us_per_request = 0;  // the server's CPU time (all threads) per request
  double batches = 0, committed = 0, max_batch = 0;
  double buckets[7] = {};
  double accepted = 0, duplicates = 0;
  ProcMemory memory;
};

struct Variant {
  std::string name;
  bool duplex = false;
  bool group_commit = true;
  std::string binary = DUPLEX_BINARY;
  std::vector<Run> runs;
  std::string label;  // for --compare builds: what to call them in the table
  const Run& Best() const {
    return *std::max_element(runs.begin(), runs.end(),
                             [](const Run& a, const Run& b) { return a.wrk.rps < b.wrk.rps; });
  }
};

void Log(const std::string& s) {
  std::fprintf(stderr, "%s\n", s.c_str());
  std::fflush(stderr);
}

std::string Describe(const Run& r) {
  return Thousands(r.wrk.rps) + " req/s, " + Fixed(r.cpu_us_per_request, 0) + " µs CPU/req, p50 " +
         Fixed(r.wrk.p50_ms, 2) + " ms, p99 " + Fixed(r.wrk.p99_ms, 2) + " ms, errors " +
         std::to_string(r.wrk.errors) + ", non-2xx " + std::to_string(r.wrk.status_errors) +
         (r.wrk.wraps ? ", WRAPPED" : "");
}

Run RunDuplex(const TempDir& tmp, const std::string& name, const std::string& binary,
              const FakeSlack& slack, bool group_commit, int connections, double seconds,
              const std::string& prefix) {
  const std::string dir = tmp.File(name);
  std::filesystem::create_directories(dir);
  const int port = FreePort();
  auto config = DuplexConfig(dir, port, slack.api_base());
  if (!group_commit) config["database_group_commit"] = false;
  auto duplex = StartDuplex(binary, dir, config);
  Run r;
  const double cpu_before = ProcCpuSeconds(duplex->pid());
  r.wrk =
      RunWrk("http://127.0.0.1:" + std::to_string(port), kWrkThreads, connections, seconds, prefix);
  r.cpu_us_per_request =
      (ProcCpuSeconds(duplex->pid()) - cpu_before) * 1e6 / std::max(1.0, r.wrk.requests);
  const std::string metrics = HttpGet(port, "/metrics");
  r.memory = ReadProcMemory(duplex->pid());
  r.batches = Metric(metrics, "duplex_group_commit_batches_total");
  r.committed = Metric(metrics, "duplex_group_commit_requests_total");
  r.max_batch = Metric(metrics, "duplex_group_commit_max_batch");
  for (int b = 0; b < 7; ++b) {
    r.buckets[b] =
        Metric(metrics, std::string("duplex_group_commit_batches_by_size_total{size=\"") +
                            kBucketNames[b] + "\"}");
  }
  r.accepted = Metric(metrics, "duplex_webhooks_total{platform=\"generic\",result=\"accepted\"}");
  r.duplicates =
      Metric(metrics, "duplex_webhooks_total{platform=\"generic\",result=\"duplicate\"}");
  duplex->Stop();
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace
}  // namespace duplex::bench

int main(int argc, char** argv) {
  using namespace duplex::bench;
  double seconds = 5;
  int rounds = 2;
  int per_file = 60'000;
  std::vector<int> connection_counts = {8, 64};
  std::string sign_only;
  std::vector<std::string>
      compare;  // other duplex builds, run as more variants (before/after a change)
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--sign-only") {
      sign_only = argv[i + 1];
    } else if (flag == "--compare") {
      compare.push_back(argv[i + 1]);
    } else if (flag == "--rounds") {
      rounds = std::atoi(argv[i + 1]);
    } else if (flag == "--requests-per-thread") {
      per_file = std::atoi(argv[i + 1]);
    } else if (flag == "--connections") {
      connection_counts.clear();
      std::stringstream in(argv[i + 1]);
      std::string c;
      while (std::getline(in, c, ',')) connection_counts.push_back(std::atoi(c.c_str()));
    }
  }
  if (!sign_only.empty()) {
    // For profiling by hand: the request files for signed_webhooks.lua, and nothing else.
    WriteSignedRequestFiles(sign_only, kWrkThreads, per_file,
                            "manual" + std::to_string(time(nullptr)));
    return 0;
  }
  const std::string load_before = LoadAverage();
  TempDir tmp;
  FakeSlack slack;

  // Idle memory: each server started, given a second to settle, not yet sent anything.
  const int bare_port = FreePort();
  Child bare({BARE_SERVER_BINARY, "--port", std::to_string(bare_port), "--threads",
              std::to_string(kHttpThreads), "--keep-alive-max", std::to_string(kKeepAliveMax)},
             tmp.File("bare.log"));
  if (!WaitForHttp(bare_port, "/healthz")) {
    Log("bare_server did not start");
    return 1;
  }
  sleep(1);
  const ProcMemory bare_idle = ReadProcMemory(bare.pid());
  ProcMemory duplex_idle;
  {
    const std::string dir = tmp.File("idle");
    std::filesystem::create_directories(dir);
    const int port = FreePort();
    auto duplex = StartDuplex(DUPLEX_BINARY, dir, DuplexConfig(dir, port, slack.api_base()));
    sleep(1);
    duplex_idle = ReadProcMemory(duplex->pid());
    duplex->Stop();
  }

  std::vector<std::vector<Variant>> results;
  for (int connections : connection_counts) {
    std::vector<Variant> variants = {
        {"bare cpp-httplib server", false, true, "", {}, ""},
        {"duplex, group commit (default)", true, true, DUPLEX_BINARY, {}, ""},
        {"duplex, commit per request", true, false, DUPLEX_BINARY, {}, ""}};
    for (const auto& spec : compare) {
      // --compare LABEL=PATH or PATH
      const auto eq = spec.find('=');
      const std::string binary = eq == std::string::npos ? spec : spec.substr(eq + 1);
      variants.push_back({"duplex " + binary,
                          true,
                          true,
                          binary,
                          {},
                          eq == std::string::npos ? binary : spec.substr(0, eq)});
    }
    for (int round = 0; round < rounds; ++round) {
      const std::string prefix = tmp.File("requests");
      WriteSignedRequestFiles(prefix, kWrkThreads, per_file,
                              "c" + std::to_string(connections) + "r" + std::to_string(round));
      for (auto& v : variants) {
        Run r;
        if (v.duplex) {
          r = RunDuplex(tmp, "db-" + std::to_string(connections) + "-" + std::to_string(round),
                        v.binary, slack, v.group_commit, connections, seconds, prefix);
        } else {
          const double cpu_before = ProcCpuSeconds(bare.pid());
          r.wrk = RunWrk("http://127.0.0.1:" + std::to_string(bare_port), kWrkThreads, connections,
                         seconds, prefix);
          r.cpu_us_per_request =
              (ProcCpuSeconds(bare.pid()) - cpu_before) * 1e6 / std::max(1.0, r.wrk.requests);
          r.memory = ReadProcMemory(bare.pid());
        }
        if (!r.wrk.ok) {
          Log("wrk failed:\n" + r.wrk.raw);
          return 1;
        }
        Log(std::to_string(connections) + " connections, round " + std::to_string(round + 1) +
            ", " + v.name + ": " + Describe(r));
        v.runs.push_back(r);
      }
    }
    results.push_back(variants);
  }
  const ProcMemory bare_loaded = ReadProcMemory(bare.pid());
  bare.Stop();
  const std::string load_after = LoadAverage();

  // --- Markdown, in sections for scripts/bench ---
  const std::string machine = "`nproc` = " + std::to_string(Cores()) + " · " + CpuModel() + " · " +
                              MemTotal() + " RAM · load average " + load_before + " before, " +
                              load_after + " after";
  std::printf("@@section ingest\n");
  std::printf("Run %s · %s · wrk -t%d, %.0f s per run, best of %d interleaved rounds\n\n",
              Today().c_str(), machine.c_str(), kWrkThreads, seconds, rounds);
  std::printf(
      "| connections | server | requests/s | **vs bare** | p50 ms | p99 ms | CPU µs/request | CPU "
      "vs bare |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|\n");
  long failures = 0, wraps = 0;
  double accepted = 0, duplicates = 0;
  for (std::size_t c = 0; c < connection_counts.size(); ++c) {
    const Run& base = results[c][0].Best();
    for (std::size_t i = 0; i < 3; ++i) {
      const Variant& v = results[c][i];
      const Run& r = v.Best();
      std::printf("| %d | %s | %s | **%.2f** | %.2f | %.2f | %.0f | %.1fx |\n",
                  connection_counts[c], v.name.c_str(), Thousands(r.wrk.rps).c_str(),
                  r.wrk.rps / base.wrk.rps, r.wrk.p50_ms, r.wrk.p99_ms, r.cpu_us_per_request,
                  r.cpu_us_per_request / base.cpu_us_per_request);
      for (const auto& run : v.runs) {
        failures += run.wrk.status_errors + run.wrk.errors;
        if (v.duplex) {
          wraps += run.wrk.wraps;
          accepted += run.accepted;
          duplicates += run.duplicates;
        }
      }
    }
  }
  std::printf(
      "\nAll runs: %ld failed or non-2xx requests; duplex accepted %s mentions, %s as duplicates "
      "(request files cycled %ld times).\n",
      failures, Thousands(accepted).c_str(), Thousands(duplicates).c_str(), wraps);

  std::printf("@@section group-commit\n");
  std::printf(
      "Same runs as above. With commit per request the writer always has a request waiting, so its "
      "transactions per second are the disk's rate of durable commits as duplex sees it "
      "(write-ahead "
      "log append + fdatasync, under this run's load). With *c* connections each waiting for its "
      "own "
      "durable commit, no server can answer more than about *c* × that rate (**of ceiling** below: "
      "requests/s ÷ (*c* × commits/s); 1.0 would mean every commit carried every connection's "
      "request).\n\n");
  std::printf(
      "| connections | commit | requests/s | **gain** | commits/s | of ceiling | requests per "
      "commit | largest |");
  for (const char* b : kBucketNames) std::printf(" %s |", b);
  std::printf("\n|---:|---|---:|---:|---:|---:|---:|---:|");
  for (int b = 0; b < 7; ++b) std::printf("---:|");
  std::printf("\n");
  for (std::size_t c = 0; c < connection_counts.size(); ++c) {
    const Run& single = results[c][2].Best();
    const double commit_rate = single.batches / std::max(1e-9, single.wrk.seconds);
    const double ceiling = connection_counts[c] * commit_rate;
    for (int i : {1, 2}) {
      const Run& r = results[c][i].Best();
      std::printf("| %d | %s | %s | **%.2fx** | %s | %.2f | %.1f | %.0f |", connection_counts[c],
                  i == 1 ? "grouped (default)" : "one per request", Thousands(r.wrk.rps).c_str(),
                  r.wrk.rps / single.wrk.rps,
                  Thousands(r.batches / std::max(1e-9, r.wrk.seconds)).c_str(), r.wrk.rps / ceiling,
                  r.batches > 0 ? r.committed / r.batches : 0.0, r.max_batch);
      for (double n : r.buckets) std::printf(" %s |", Thousands(n).c_str());
      std::printf("\n");
    }
  }
  std::printf(
      "\nThe size columns count transactions by how many webhook requests they committed.\n");

  if (!compare.empty()) {
    std::printf("@@section before-after\n");
    std::printf(
        "Run %s · %s · the builds below in the same interleaved rounds as this build (best of "
        "%d)\n\n",
        Today().c_str(), machine.c_str(), rounds);
    std::printf(
        "| connections | duplex build | requests/s | vs bare | **this build vs it** | CPU "
        "µs/request | "
        "CPU vs this build |\n|---:|---|---:|---:|---:|---:|---:|\n");
    for (std::size_t c = 0; c < connection_counts.size(); ++c) {
      const Run& base = results[c][0].Best();
      const Run& now = results[c][1].Best();
      for (std::size_t i = 1; i < results[c].size(); ++i) {
        if (i == 2) continue;
        const Run& r = results[c][i].Best();
        std::printf("| %d | %s | %s | %.2f | **%.2fx** | %.0f | %.2fx |\n", connection_counts[c],
                    i == 1 ? "this build" : results[c][i].label.c_str(),
                    Thousands(r.wrk.rps).c_str(), r.wrk.rps / base.wrk.rps, now.wrk.rps / r.wrk.rps,
                    r.cpu_us_per_request, r.cpu_us_per_request / now.cpu_us_per_request);
      }
    }
  }

  double duplex_peak = 0;
  long duplex_threads = 0;
  for (const auto& variants : results) {
    for (const auto& r : variants[1].runs) {
      duplex_peak = std::max(duplex_peak, static_cast<double>(r.memory.hwm_kb));
      duplex_threads = std::max(duplex_threads, r.memory.threads);
    }
  }
  std::printf("@@section memory\n");
  std::printf(
      "Run %s · %s · both with %d HTTP threads; loaded = the peak (VmHWM) over the ingest runs "
      "above\n\n",
      Today().c_str(), machine.c_str(), kHttpThreads);
  std::printf(
      "| server | idle RSS MiB | **idle vs bare** | loaded peak RSS MiB | **loaded vs bare** | "
      "threads |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  std::printf("| bare cpp-httplib server | %.1f | 1.00 | %.1f | 1.00 | %ld |\n",
              bare_idle.rss_kb / 1024.0, bare_loaded.hwm_kb / 1024.0, bare_loaded.threads);
  std::printf("| duplex | %.1f | **%.2f** | %.1f | **%.2f** | %ld |\n", duplex_idle.rss_kb / 1024.0,
              static_cast<double>(duplex_idle.rss_kb) / static_cast<double>(bare_idle.rss_kb),
              duplex_peak / 1024.0, duplex_peak / static_cast<double>(bare_loaded.hwm_kb),
              duplex_threads);
  return 0;
}
