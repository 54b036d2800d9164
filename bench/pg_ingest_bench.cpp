// PostgreSQL ingest benchmark (issue 17): durable ingest with the PostgreSQL store, one
// instance and three instances on one database, against the SQLite store, in paired rounds
// at 8 and 64 connections. The same load as ingest_bench (wrk, correctly signed generic
// webhooks, fresh ids), the same fake Slack; each duplex run gets a fresh database.
//
//   build/bench/pg_ingest_bench --postgres URL [--seconds S] [--rounds R]
//                               [--connections 8,64] [--requests-per-thread N]
//
// URL is a role that may create databases (scripts/bench runs this under
// scripts/with-postgres and passes its DUPLEX_TEST_PG_URL). Three instances share the load:
// three wrk processes, one per instance, the connections split between them. CPU per
// request is given for duplex (all its processes) and for the PostgreSQL server (every
// `postgres` process, backends included), since on PostgreSQL the commit's work is spent
// outside duplex. Progress goes to stderr; the Markdown for bench/README.md to stdout.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"

#ifndef DUPLEX_BINARY
#error "DUPLEX_BINARY must name the duplex executable"
#endif

namespace duplex::bench {
namespace {

constexpr int kWrkThreads = 2;

struct Run {
  WrkResult wrk;
  double duplex_cpu_us = 0;    // per request, all duplex processes
  double postgres_cpu_us = 0;  // per request, every postgres process
  double accepted = 0;
};

struct Variant {
  std::string name;
  bool postgres = false;
  int instances = 1;
  std::vector<Run> runs;
};

void Log(const std::string& s) {
  std::fprintf(stderr, "%s\n", s.c_str());
  std::fflush(stderr);
}

// The parent of a process, from /proc/PID/stat (0 if it is gone).
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string state;
  long ppid = 0;
  rest >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

// CPU seconds used so far by the PostgreSQL server `postmaster` and its children (backends,
// WAL writer, checkpointer): this bench's server only, not another one on the machine. A
// backend that exits during a run takes its time with it; duplex's pooled connections live
// as long as duplex, so the runs here lose nothing.
double PostgresCpuSeconds(pid_t postmaster) {
  double total = ProcCpuSeconds(postmaster);
  DIR* proc = opendir("/proc");
  if (!proc) return total;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const auto pid = static_cast<pid_t>(std::atol(e->d_name));
    if (ParentOf(pid) == postmaster) total += ProcCpuSeconds(pid);
  }
  closedir(proc);
  return total;
}

// `base` (…/dbname?params) with another database name.
std::string WithDatabase(const std::string& base, const std::string& db) {
  const auto query = base.find('?');
  const std::string path = base.substr(0, query);
  const std::string params = query == std::string::npos ? "" : base.substr(query);
  return path.substr(0, path.rfind('/') + 1) + db + params;
}

bool Psql(const std::string& url, const std::string& sql) {
  const std::string cmd = "psql -X -q -v ON_ERROR_STOP=1 '" + url + "' -c '" + sql + "' 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// The server's postmaster: the parent of its background processes (which pg_stat_activity
// lists, though without their type to a role that is not a superuser, and which outlive
// the query, unlike its own backend).
pid_t Postmaster(const std::string& url) {
  const std::string cmd = "psql -X -A -t -q '" + url + "' -c 'SELECT pid FROM pg_stat_activity'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return 0;
  char buf[64] = {};
  pid_t parent = 0;
  while (std::fgets(buf, sizeof buf, p)) {
    if (const pid_t up = ParentOf(static_cast<pid_t>(std::atol(buf))); up > 1) parent = up;
  }
  pclose(p);
  return parent;
}

// The load split over `urls`: one wrk per URL, run at once, `connections` shared between
// them; request files `prefix-<i>.<thread>`. Requests and errors add up; percentiles are the
// worst instance's (a conservative figure, not a merged histogram).
WrkResult RunSplitWrk(const std::vector<std::string>& urls, int connections, double seconds,
                      const std::string& prefix) {
  const int n = static_cast<int>(urls.size());
  std::vector<WrkResult> parts(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    const int share = connections / n + (i < connections % n ? 1 : 0);
    threads.emplace_back([&, i, share] {
      parts[i] = RunWrk(urls[i], std::min(kWrkThreads, share), share, seconds,
                        prefix + "-" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  WrkResult r;
  r.ok = true;
  for (const auto& p : parts) {
    r.ok = r.ok && p.ok;
    r.requests += p.requests;
    r.rps += p.rps;
    r.seconds = std::max(r.seconds, p.seconds);
    r.p50_ms = std::max(r.p50_ms, p.p50_ms);
    r.p99_ms = std::max(r.p99_ms, p.p99_ms);
    r.errors += p.errors;
    r.status_errors += p.status_errors;
    r.wraps += p.wraps;
    r.raw += p.raw;
  }
  return r;
}

Run RunVariant(const TempDir& tmp, const Variant& v, const std::string& pg_base, pid_t postmaster,
               const FakeSlack& slack, int connections, double seconds, const std::string& prefix,
               const std::string& tag) {
  std::string database_url;
  const std::string db_name = "bench_" + tag;
  if (v.postgres) {
    database_url = WithDatabase(pg_base, db_name);
    if (!Psql(pg_base, "CREATE DATABASE " + db_name)) {
      Log("could not create database " + db_name);
      std::exit(1);
    }
  }
  std::vector<std::unique_ptr<Child>> servers;
  std::vector<std::string> urls;
  std::vector<int> ports;
  for (int i = 0; i < v.instances; ++i) {
    const std::string dir = tmp.File(tag + "-" + std::to_string(i));
    std::filesystem::create_directories(dir);
    const int port = FreePort();
    auto config = DuplexConfig(dir, port, slack.api_base());
    if (v.postgres) config["database"] = database_url;
    servers.push_back(StartDuplex(DUPLEX_BINARY, dir, config));
    urls.push_back("http://127.0.0.1:" + std::to_string(port));
    ports.push_back(port);
  }
  auto duplex_cpu = [&] {
    double s = 0;
    for (const auto& c : servers) s += ProcCpuSeconds(c->pid());
    return s;
  };
  Run r;
  const double duplex_before = duplex_cpu();
  const double pg_before = v.postgres ? PostgresCpuSeconds(postmaster) : 0;
  r.wrk = RunSplitWrk(urls, connections, seconds, prefix);
  const double requests = std::max(1.0, r.wrk.requests);
  r.duplex_cpu_us = (duplex_cpu() - duplex_before) * 1e6 / requests;
  if (v.postgres) r.postgres_cpu_us = (PostgresCpuSeconds(postmaster) - pg_before) * 1e6 / requests;
  for (int port : ports) {
    r.accepted += Metric(HttpGet(port, "/metrics"),
                         "duplex_webhooks_total{platform=\"generic\",result=\"accepted\"}");
  }
  for (auto& c : servers) c->Stop();
  servers.clear();
  for (int i = 0; i < v.instances; ++i) {
    std::filesystem::remove_all(tmp.File(tag + "-" + std::to_string(i)));
  }
  if (v.postgres) Psql(pg_base, "DROP DATABASE " + db_name);
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
  std::string pg_url;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf(
          "usage: pg_ingest_bench --postgres URL [--seconds S] [--rounds R]\n"
          "                       [--connections 8,64] [--requests-per-thread N]\n"
          "Runs duplex on SQLite, on PostgreSQL (one instance) and on PostgreSQL (three\n"
          "instances, load split) in paired rounds; URL must be allowed to create databases.\n"
          "Prints the Markdown section scripts/bench writes into bench/README.md.\n");
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "pg_ingest_bench: %s needs a value (see --help)\n", flag.c_str());
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--postgres") {
      pg_url = value;
    } else if (flag == "--seconds") {
      seconds = std::atof(value.c_str());
    } else if (flag == "--rounds") {
      rounds = std::atoi(value.c_str());
    } else if (flag == "--requests-per-thread") {
      per_file = std::atoi(value.c_str());
    } else if (flag == "--connections") {
      connection_counts.clear();
      std::stringstream in(value);
      std::string c;
      while (std::getline(in, c, ',')) connection_counts.push_back(std::atoi(c.c_str()));
    } else {
      std::fprintf(stderr, "pg_ingest_bench: unknown option %s (see --help)\n", flag.c_str());
      return 2;
    }
  }
  if (pg_url.empty()) {
    std::fprintf(stderr, "pg_ingest_bench: --postgres URL is required (see --help)\n");
    return 2;
  }
  const pid_t postmaster = Postmaster(pg_url);
  if (postmaster <= 1) {
    std::fprintf(stderr,
                 "pg_ingest_bench: cannot reach PostgreSQL at --postgres, or find its server"
                 " process on this machine\n");
    return 1;
  }
  const std::string load_before = LoadAverage();
  TempDir tmp;
  FakeSlack slack;
  std::vector<std::vector<Variant>> results;
  for (int connections : connection_counts) {
    std::vector<Variant> variants = {{"duplex on SQLite (default)", false, 1, {}},
                                     {"duplex on PostgreSQL, 1 instance", true, 1, {}},
                                     {"duplex on PostgreSQL, 3 instances", true, 3, {}}};
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t k = 0; k < variants.size(); ++k) {
        auto& v = variants[k];
        const std::string tag = "c" + std::to_string(connections) + "r" + std::to_string(round) +
                                "v" + std::to_string(k);
        // Fresh ids for every run: each wrk process reads its own files.
        const std::string prefix = tmp.File("requests-" + tag);
        for (int i = 0; i < v.instances; ++i) {
          WriteSignedRequestFiles(prefix + "-" + std::to_string(i), kWrkThreads, per_file,
                                  tag + "i" + std::to_string(i));
        }
        Run r = RunVariant(tmp, v, pg_url, postmaster, slack, connections, seconds, prefix, tag);
        for (int i = 0; i < v.instances; ++i) {
          for (int t = 0; t < kWrkThreads; ++t) {
            std::filesystem::remove(prefix + "-" + std::to_string(i) + "." + std::to_string(t));
          }
        }
        if (!r.wrk.ok) {
          Log("wrk failed:\n" + r.wrk.raw);
          return 1;
        }
        Log(std::to_string(connections) + " connections, round " + std::to_string(round + 1) +
            ", " + v.name + ": " + Thousands(r.wrk.rps) + " req/s, duplex " +
            Fixed(r.duplex_cpu_us, 0) + " µs + postgres " + Fixed(r.postgres_cpu_us, 0) +
            " µs CPU/req, p99 " + Fixed(r.wrk.p99_ms, 2) + " ms, errors " +
            std::to_string(r.wrk.errors) + ", non-2xx " + std::to_string(r.wrk.status_errors));
        v.runs.push_back(r);
      }
    }
    results.push_back(variants);
  }
  const std::string load_after = LoadAverage();

  long failures = 0, wraps = 0;
  double accepted = 0, requests = 0;
  for (const auto& variants : results) {
    for (const auto& v : variants) {
      for (const auto& r : v.runs) {
        failures += r.wrk.errors + r.wrk.status_errors;
        wraps += r.wrk.wraps;
        accepted += r.accepted;
        requests += r.wrk.requests;
      }
    }
  }
  auto rps = [](const Run& r) { return r.wrk.rps; };
  auto total_cpu = [](const Run& r) { return r.duplex_cpu_us + r.postgres_cpu_us; };
  auto p99 = [](const Run& r) { return r.wrk.p99_ms; };
  std::printf("@@section pg-ingest\n");
  std::printf(
      "Run %s · `nproc` = %u · %s · %s RAM · load average %s before, %s after · PostgreSQL 15 "
      "(a throwaway server from scripts/with-postgres, fsync on, default settings) · wrk, %.0f "
      "s per run, %d paired rounds (the three set-ups back to back in each round); each figure "
      "is the median over the rounds, each ratio the median of the per-round ratios\n\n",
      Today().c_str(), Cores(), CpuModel().c_str(), MemTotal().c_str(), load_before.c_str(),
      load_after.c_str(), seconds, rounds);
  std::printf(
      "| connections | set-up | requests/s | **vs SQLite** | p50 ms | p99 ms | CPU µs/request: "
      "duplex | + PostgreSQL | = total | **total CPU vs SQLite** |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t c = 0; c < results.size(); ++c) {
    const auto& variants = results[c];
    for (const auto& v : variants) {
      std::printf(
          "| %d | %s | %s | **%s** | %s | %s | %s | %s | %s | **%sx** |\n", connection_counts[c],
          v.name.c_str(), Thousands(MedianOf(v, rps)).c_str(),
          Fixed(Median(Ratios(v, variants[0], rps)), 2).c_str(),
          Fixed(MedianOf(v, [](const Run& r) { return r.wrk.p50_ms; }), 2).c_str(),
          Fixed(MedianOf(v, p99), 2).c_str(),
          Fixed(MedianOf(v, [](const Run& r) { return r.duplex_cpu_us; }), 0).c_str(),
          v.postgres ? Fixed(MedianOf(v, [](const Run& r) { return r.postgres_cpu_us; }), 0).c_str()
                     : "–",
          Fixed(MedianOf(v, total_cpu), 0).c_str(),
          Fixed(Median(Ratios(v, variants[0], total_cpu)), 2).c_str());
    }
  }
  std::printf("\nRound by round, against SQLite:\n\n");
  std::printf(
      "| connections | set-up | requests/s ratio per round | total CPU/request ratio per round "
      "| p99 ratio per round |\n|---:|---|---|---|---|\n");
  for (std::size_t c = 0; c < results.size(); ++c) {
    const auto& variants = results[c];
    for (std::size_t k = 1; k < variants.size(); ++k) {
      std::printf("| %d | %s | %s | %s | %s |\n", connection_counts[c], variants[k].name.c_str(),
                  ListRatios(Ratios(variants[k], variants[0], rps)).c_str(),
                  ListRatios(Ratios(variants[k], variants[0], total_cpu)).c_str(),
                  ListRatios(Ratios(variants[k], variants[0], p99)).c_str());
    }
  }
  std::printf(
      "\nAll runs: %ld failed or non-2xx requests; duplex accepted %s of %s requests as new "
      "mentions (request files cycled %ld times).\n",
      failures, Thousands(accepted).c_str(), Thousands(requests).c_str(), wraps);
  return failures == 0 ? 0 : 1;
}
