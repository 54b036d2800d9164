// Routing throughput with 10, 1,000 and 10,000 keyword routes: mentions routed per second
// by the Router (Aho–Corasick index), against two baselines measured in the same run on the
// same mentions — the naive router that tries every route's keywords one by one, and a
// plain pass over the text (folding it, which every keyword match needs anyway). Shared,
// noisy machines make the ratios the figures to compare, not the absolute rates.
//
//   build/bench/routing_bench [--seconds S] [--markdown]   (S per measurement and round;
//   default 0.3. --markdown: the table for bench/README.md on stdout, progress on stderr)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/routing/router.h"
#include "core/routing/text_match.h"

namespace duplex {
namespace {

using BenchClock = std::chrono::steady_clock;
constexpr int kRounds = 3;

const std::vector<std::string> kUnicodeWords = {"café", "退款",  "возврат", "remboursement",
                                                "🙂", "größe", "返金",    "ορθογραφία"};

std::string RandomWord(std::mt19937& rng) {
  std::uniform_int_distribution<int> len(3, 9), letter(0, 25);
  std::string w;
  for (int i = len(rng); i > 0; --i) w.push_back(static_cast<char>('a' + letter(rng)));
  return w;
}

struct Workload {
  std::vector<Route> routes;
  std::vector<Mention> mentions;
};

// `n` routes, each with 1–3 keywords (a quarter of them two-word phrases) and, for some,
// a platform, kind or reach filter; mentions of ~30 words, about a third of them holding a
// keyword of some route.
Workload MakeWorkload(std::size_t n, std::size_t mention_count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Workload w;
  std::vector<std::string> all_keywords;
  std::uniform_int_distribution<int> coin(0, 3), nkw(1, 3), prio(0, 1000);
  const char* platforms[] = {"x", "meta", "generic", "github"};
  for (std::size_t i = 0; i < n; ++i) {
    Route r;
    r.name = "route-" + std::to_string(i);
    r.channel = "C" + std::to_string(i);
    r.priority = prio(rng);
    for (int k = nkw(rng); k > 0; --k) {
      std::string kw = RandomWord(rng);
      if (coin(rng) == 0) kw += " " + RandomWord(rng);
      r.keywords.push_back(routing::NormalizeKeyword(kw));
      all_keywords.push_back(r.keywords.back());
    }
    if (coin(rng) == 0) r.platforms = {platforms[coin(rng)]};
    if (coin(rng) == 0) r.kinds = {static_cast<MentionKind>(coin(rng))};
    if (coin(rng) == 0) r.min_followers = 1000;
    w.routes.push_back(std::move(r));
  }
  std::uniform_int_distribution<std::size_t> pick_kw(0, all_keywords.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_uni(0, kUnicodeWords.size() - 1);
  std::uniform_int_distribution<int> words(20, 40), followers(0, 5000);
  for (std::size_t i = 0; i < mention_count; ++i) {
    Mention m;
    m.platform = platforms[coin(rng)];
    m.kind = static_cast<MentionKind>(coin(rng));
    m.author.followers = followers(rng);
    const int count = words(rng);
    const bool with_keyword = coin(rng) == 0 || coin(rng) == 0;
    const int keyword_at =
        with_keyword ? std::uniform_int_distribution<int>(0, count - 1)(rng) : -1;
    for (int k = 0; k < count; ++k) {
      if (!m.text.empty()) m.text += k % 9 == 8 ? ", " : " ";
      if (k == keyword_at) {
        std::string kw = all_keywords[pick_kw(rng)];
        if (coin(rng) == 0) std::transform(kw.begin(), kw.end(), kw.begin(), ::toupper);
        m.text += kw;
      } else if (coin(rng) == 0 && coin(rng) == 0) {
        m.text += kUnicodeWords[pick_uni(rng)];
      } else {
        m.text += RandomWord(rng);
      }
    }
    m.text += "?";
    w.mentions.push_back(std::move(m));
  }
  return w;
}

// The baseline the issue rules out: every route in priority order, every keyword searched.
class NaiveRouter {
 public:
  explicit NaiveRouter(std::vector<Route> routes) : routes_(std::move(routes)) {
    std::sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
      return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
    });
  }
  std::string Decide(const Mention& m) const {
    const std::string folded = routing::FoldForMatch(m.text);
    for (const auto& r : routes_) {
      if (!r.enabled) continue;
      if (!r.platforms.empty() && !r.platforms.count(m.platform)) continue;
      if (!r.kinds.empty() && !r.kinds.count(m.kind)) continue;
      if (r.min_followers && (!m.author.followers || *m.author.followers < *r.min_followers))
        continue;
      bool hit = r.keywords.empty();
      for (const auto& k : r.keywords) {
        if (routing::ContainsKeyword(folded, k)) {
          hit = true;
          break;
        }
      }
      if (hit) return r.name;
    }
    return "";
  }

 private:
  std::vector<Route> routes_;
};

// Mentions per second of `route_one` over the workload, run for at least `seconds`.
template <typename F>
double Rate(const std::vector<Mention>& mentions, double seconds, F&& route_one) {
  std::size_t sink = 0, done = 0;
  const auto start = BenchClock::now();
  double elapsed = 0;
  do {
    for (const auto& m : mentions) sink += route_one(m);
    done += mentions.size();
    elapsed = std::chrono::duration<double>(BenchClock::now() - start).count();
  } while (elapsed < seconds);
  if (sink == 42) std::puts("");  // keeps the work observable
  return static_cast<double>(done) / elapsed;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

}  // namespace
}  // namespace duplex

int main(int argc, char** argv) {
  using namespace duplex;
  double seconds = 0.3;
  bool markdown = false;  // the table for bench/README.md (scripts/bench), instead of the text one
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    if (std::string(argv[i]) == "--markdown") markdown = true;
  }
  // Progress and the text table go to stdout, or to stderr when stdout gets the Markdown.
  std::FILE* text = markdown ? stderr : stdout;
  std::string table =
      "| routes | build ms | indexed /s | naive /s | **vs naive** | fold-only /s | vs fold | µs "
      "per mention |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  auto thousands = [](double v) {
    std::string digits = std::to_string(static_cast<long long>(v + 0.5)), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };

  char date[32];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::fprintf(text, "routing_bench %s · %u threads · %s · best of %d rounds of %.1f s\n\n", date,
               std::thread::hardware_concurrency(), CpuModel().c_str(), kRounds, seconds);
  std::fprintf(text, "%8s %10s %14s %14s %10s %14s %12s %9s\n", "routes", "build ms", "indexed /s",
               "naive /s", "vs naive", "fold-only /s", "vs fold", "µs/ment.");

  for (std::size_t n : {std::size_t{10}, std::size_t{1000}, std::size_t{10000}}) {
    Workload w = MakeWorkload(n, 2000, 1234);
    const auto build_start = BenchClock::now();
    Router router(w.routes, "CDEFAULT");
    const double build_ms =
        std::chrono::duration<double, std::milli>(BenchClock::now() - build_start).count();
    NaiveRouter naive(w.routes);

    std::size_t matched = 0;
    for (const auto& m : w.mentions) {
      const std::string got = router.Decide(m).route;
      if (got != naive.Decide(m)) {
        std::fprintf(stderr, "mismatch with %zu routes on \"%s\"\n", n, m.text.c_str());
        return 1;
      }
      matched += !got.empty();
    }

    // Interleaved rounds, best of each: a neighbour's burst of load hits all three alike.
    double fold = 0, indexed = 0, naive_rate = 0;
    for (int round = 0; round < kRounds; ++round) {
      fold = std::max(fold, Rate(w.mentions, seconds, [](const Mention& m) {
                        return routing::FoldForMatch(m.text).size();
                      }));
      indexed = std::max(indexed, Rate(w.mentions, seconds, [&](const Mention& m) {
                           return router.Decide(m).channel.size();
                         }));
      naive_rate = std::max(naive_rate, Rate(w.mentions, seconds, [&](const Mention& m) {
                              return naive.Decide(m).size();
                            }));
    }
    std::fprintf(text, "%8zu %10.1f %14.0f %14.0f %9.1fx %14.0f %11.2fx %9.2f\n", n, build_ms,
                 indexed, naive_rate, indexed / naive_rate, fold, fold / indexed, 1e6 / indexed);
    char row[256];
    std::snprintf(row, sizeof row, "| %s | %.1f | %s | %s | **%.1fx** | %s | %.1fx | %.1f |\n",
                  thousands(double(n)).c_str(), build_ms, thousands(indexed).c_str(),
                  thousands(naive_rate).c_str(), indexed / naive_rate, thousands(fold).c_str(),
                  fold / indexed, 1e6 / indexed);
    table += row;
    std::fflush(text);
    if (n == 10000) {
      std::fprintf(text, "\n%zu of %zu mentions matched a route with 10,000 routes.\n", matched,
                   w.mentions.size());
    }
  }
  if (markdown) {
    std::fputs(table.c_str(), stdout);
    return 0;
  }
  std::puts("\nvs naive: indexed rate / naive rate (higher is better).");
  std::puts(
      "vs fold: the time of one indexed routing in units of folding the text once (1.00x = the "
      "floor).");
  return 0;
}
