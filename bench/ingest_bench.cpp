// Ingest benchmark (issues 8, 18): correctly signed generic webhooks against `duplex serve`
// with durable commits (WAL, synchronous=FULL), against two baselines with the same load tool
// (wrk, 2 threads), at 8 and 64 connections:
//  - the simplest durable server (durable_server.cpp): answers 200 only after the raw body is
//    committed by one group-commit writer on the same disk — the same promise, no other work;
//  - a bare cpp-httplib server answering 200 at once (no promise at all).
// Also duplex with group commit off (one transaction and fsync per request), the batch sizes
// group commit formed (from /metrics), and the memory (RSS) of the servers idle and loaded.
//
//   build/bench/ingest_bench [--seconds S] [--rounds R] [--connections 8,64]
//                            [--requests-per-thread N] [--sign-only PREFIX] [--compare
//                            [LABEL=]DUPLEX]...
//
// Rounds are paired: in each round every server runs back to back on the same request
// files, and duplex's figures are divided by the baselines' of the same round. The disk's
// fsync time drifts a lot between rounds on shared machines, so the tables give the median
// of those per-round ratios (and of each raw figure), with every round's ratio listed.
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
#ifndef DURABLE_SERVER_BINARY
#error "DURABLE_SERVER_BINARY must name the durable_server executable"
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

enum class Server { kBare, kDurable, kDuplex };

struct Variant {
  std::string name;
  Server server = Server::kDuplex;
  bool group_commit = true;
  std::string binary = DUPLEX_BINARY;
  std::vector<Run> runs;  // one per round, in round order
  std::string label;      // for --compare builds: what to call them in the table
  bool duplex() const { return server == Server::kDuplex; }
};

double Rps(const Run& r) {
  return r.wrk.rps;
}
double Cpu(const Run& r) {
  return r.cpu_us_per_request;
}
double P99(const Run& r) {
  return r.wrk.p99_ms;
}

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

// The simplest durable server, on a fresh database like duplex.
Run RunDurable(const TempDir& tmp, const std::string& name, int connections, double seconds,
               const std::string& prefix, int http_threads, int keep_alive_max) {
  const std::string dir = tmp.File(name);
  std::filesystem::create_directories(dir);
  const int port = FreePort();
  Child server({DURABLE_SERVER_BINARY, "--port", std::to_string(port), "--db", dir + "/bodies.db",
                "--threads", std::to_string(http_threads), "--keep-alive-max",
                std::to_string(keep_alive_max)},
               dir + "/server.log");
  Run r;
  if (!WaitForHttp(port, "/healthz")) return r;
  const double cpu_before = ProcCpuSeconds(server.pid());
  r.wrk =
      RunWrk("http://127.0.0.1:" + std::to_string(port), kWrkThreads, connections, seconds, prefix);
  r.cpu_us_per_request =
      (ProcCpuSeconds(server.pid()) - cpu_before) * 1e6 / std::max(1.0, r.wrk.requests);
  r.memory = ReadProcMemory(server.pid());
  server.Stop();
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace
}  // namespace duplex::bench

int main(int argc, char** argv) {
  using namespace duplex::bench;
  double seconds = 4;
  int rounds = 5;
  int per_file = 60'000;
  std::vector<int> connection_counts = {8, 64};
  std::string sign_only;
  std::vector<std::string>
      compare;  // other duplex builds, run as more variants (before/after a change)
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf(
          "usage: ingest_bench [--seconds S] [--rounds R] [--connections 8,64]\n"
          "                    [--requests-per-thread N] [--compare LABEL=DUPLEX_BINARY]...\n"
          "       ingest_bench --sign-only PREFIX   (request files for signed_webhooks.lua)\n"
          "Runs duplex, the simplest durable server and a bare server in paired rounds and\n"
          "prints the Markdown sections scripts/bench writes into bench/README.md.\n");
      return 0;
    }
    if (flag.rfind("--", 0) == 0 && i + 1 >= argc) {
      std::fprintf(stderr, "ingest_bench: %s needs a value (see --help)\n", flag.c_str());
      return 2;
    }
  }
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
    // Indexes: 0 bare, 1 durable, 2 duplex, 3 duplex commit per request, 4.. --compare builds.
    std::vector<Variant> variants = {
        {"bare cpp-httplib server", Server::kBare, true, "", {}, ""},
        {"simplest durable server", Server::kDurable, true, "", {}, ""},
        {"duplex, group commit (default)", Server::kDuplex, true, DUPLEX_BINARY, {}, ""},
        {"duplex, commit per request", Server::kDuplex, false, DUPLEX_BINARY, {}, ""}};
    for (const auto& spec : compare) {
      // --compare LABEL=PATH or PATH
      const auto eq = spec.find('=');
      const std::string binary = eq == std::string::npos ? spec : spec.substr(eq + 1);
      variants.push_back({"duplex " + binary,
                          Server::kDuplex,
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
        const std::string name = "db-" + std::to_string(connections) + "-" + std::to_string(round);
        if (v.duplex()) {
          r = RunDuplex(tmp, name, v.binary, slack, v.group_commit, connections, seconds, prefix);
        } else if (v.server == Server::kDurable) {
          r = RunDurable(tmp, name, connections, seconds, prefix, kHttpThreads, kKeepAliveMax);
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
  std::printf(
      "Run %s · %s · wrk -t%d, %.0f s per run, %d paired rounds (every server back to back in "
      "each round, on the same request files); each figure is the median over the rounds, each "
      "ratio the median of the per-round ratios\n\n",
      Today().c_str(), machine.c_str(), kWrkThreads, seconds, rounds);
  std::printf(
      "| connections | server | requests/s | **vs durable** | vs bare | p50 ms | p99 ms | CPU "
      "µs/request | **CPU vs durable** |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  long failures = 0, wraps = 0;
  double accepted = 0, duplicates = 0;
  for (std::size_t c = 0; c < connection_counts.size(); ++c) {
    const Variant& bare_v = results[c][0];
    const Variant& durable_v = results[c][1];
    for (std::size_t i = 0; i < 4; ++i) {
      const Variant& v = results[c][i];
      std::printf("| %d | %s | %s | **%.2f** | %.2f | %.2f | %.2f | %.0f | **%.2fx** |\n",
                  connection_counts[c], v.name.c_str(), Thousands(MedianOf(v, Rps)).c_str(),
                  Median(Ratios(v, durable_v, Rps)), Median(Ratios(v, bare_v, Rps)),
                  MedianOf(v, [](const Run& r) { return r.wrk.p50_ms; }), MedianOf(v, P99),
                  MedianOf(v, Cpu), Median(Ratios(v, durable_v, Cpu)));
      for (const auto& run : v.runs) {
        failures += run.wrk.status_errors + run.wrk.errors;
        if (v.duplex()) {
          wraps += run.wrk.wraps;
          accepted += run.accepted;
          duplicates += run.duplicates;
        }
      }
    }
  }
  std::printf("\nduplex (group commit) against the simplest durable server, round by round:\n\n");
  std::printf(
      "| connections | requests/s ratio per round | median | CPU/request ratio per round | "
      "median | p99 ratio per round | median |\n|---:|---|---:|---|---:|---|---:|\n");
  for (std::size_t c = 0; c < connection_counts.size(); ++c) {
    const Variant& duplex_v = results[c][2];
    const Variant& durable_v = results[c][1];
    auto rps = Ratios(duplex_v, durable_v, Rps);
    auto cpu = Ratios(duplex_v, durable_v, Cpu);
    auto p99 = Ratios(duplex_v, durable_v, P99);
    std::printf("| %d | %s | **%.2f** | %s | **%.2f** | %s | %.2f |\n", connection_counts[c],
                ListRatios(rps).c_str(), Median(rps), ListRatios(cpu).c_str(), Median(cpu),
                ListRatios(p99).c_str(), Median(p99));
  }
  std::printf(
      "\nAll runs: %ld failed or non-2xx requests; duplex accepted %s mentions, %s as duplicates "
      "(request files cycled %ld times).\n",
      failures, Thousands(accepted).c_str(), Thousands(duplicates).c_str(), wraps);

  std::printf("@@section group-commit\n");
  std::printf(
      "Same runs as above (medians over the rounds). With commit per request the writer always "
      "has a request waiting, so its transactions per second are the disk's rate of durable "
      "commits as duplex sees it (write-ahead log append + fdatasync, under this run's load). "
      "With *c* connections each waiting for its own durable commit, a server that commits one "
      "request at a time cannot answer more than about *c* × that rate (**of ceiling** below: "
      "requests/s ÷ (*c* × commits/s)); group commit is how duplex and the simplest durable "
      "server pass it.\n\n");
  std::printf(
      "| connections | commit | requests/s | **gain** | commits/s | of ceiling | requests per "
      "commit | largest |");
  for (const char* b : kBucketNames) std::printf(" %s |", b);
  std::printf("\n|---:|---|---:|---:|---:|---:|---:|---:|");
  for (int b = 0; b < 7; ++b) std::printf("---:|");
  std::printf("\n");
  auto commit_rate = [](const Run& r) { return r.batches / std::max(1e-9, r.wrk.seconds); };
  for (std::size_t c = 0; c < connection_counts.size(); ++c) {
    const Variant& single = results[c][3];
    const double ceiling = connection_counts[c] * MedianOf(single, commit_rate);
    for (int i : {2, 3}) {
      const Variant& v = results[c][i];
      const double batches = MedianOf(v, [](const Run& r) { return r.batches; });
      const double committed = MedianOf(v, [](const Run& r) { return r.committed; });
      std::printf("| %d | %s | %s | **%.2fx** | %s | %.2f | %.1f | %.0f |", connection_counts[c],
                  i == 2 ? "grouped (default)" : "one per request",
                  Thousands(MedianOf(v, Rps)).c_str(), Median(Ratios(v, single, Rps)),
                  Thousands(MedianOf(v, commit_rate)).c_str(), MedianOf(v, Rps) / ceiling,
                  batches > 0 ? committed / batches : 0.0,
                  MedianOf(v, [](const Run& r) { return r.max_batch; }));
      for (int b = 0; b < 7; ++b) {
        std::printf(" %s |",
                    Thousands(MedianOf(v, [b](const Run& r) { return r.buckets[b]; })).c_str());
      }
      std::printf("\n");
    }
  }
  std::printf(
      "\nThe size columns count transactions by how many webhook requests they committed "
      "(median over the rounds).\n");

  if (!compare.empty()) {
    std::printf("@@section before-after\n");
    std::printf(
        "Run %s · %s · the builds below in the same paired rounds as this build (medians of "
        "%d rounds)\n\n",
        Today().c_str(), machine.c_str(), rounds);
    std::printf(
        "| connections | duplex build | requests/s | vs durable | **this build vs it** | CPU "
        "µs/request | CPU vs this build |\n|---:|---|---:|---:|---:|---:|---:|\n");
    for (std::size_t c = 0; c < connection_counts.size(); ++c) {
      const Variant& durable_v = results[c][1];
      const Variant& now = results[c][2];
      for (std::size_t i = 2; i < results[c].size(); ++i) {
        if (i == 3) continue;
        const Variant& v = results[c][i];
        std::printf("| %d | %s | %s | %.2f | **%.2fx** | %.0f | %.2fx |\n", connection_counts[c],
                    i == 2 ? "this build" : v.label.c_str(), Thousands(MedianOf(v, Rps)).c_str(),
                    Median(Ratios(v, durable_v, Rps)), Median(Ratios(now, v, Rps)),
                    MedianOf(v, Cpu), Median(Ratios(v, now, Cpu)));
      }
    }
  }

  double duplex_peak = 0;
  long duplex_threads = 0;
  for (const auto& variants : results) {
    for (const auto& r : variants[2].runs) {
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
