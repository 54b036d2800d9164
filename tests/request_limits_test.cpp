// Per-source limits without sockets: whose address a request counts under (trusted proxies
// and X-Forwarded-For), the token bucket per source, and the listen.* limit keys.
#include <doctest/doctest.h>

#include "app/config.h"
#include "security/client_address.h"
#include "security/source_rate_limiter.h"

namespace duplex {
namespace {

using security::SourceKey;
using security::SourceLimit;
using security::SourceRateLimiter;
using security::TrustedProxies;

TrustedProxies Proxies(const std::vector<std::string>& entries) {
  auto p = TrustedProxies::Parse(entries);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return *p;
}

TEST_CASE("trusted proxies: addresses and CIDR networks, IPv4, IPv6 and IPv4-mapped") {
  TrustedProxies p = Proxies({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "2001:db8::1"});
  CHECK(p.Contains("10.1.2.3"));
  CHECK(p.Contains("::ffff:10.9.9.9"));
  CHECK(p.Contains("192.168.1.7"));
  CHECK_FALSE(p.Contains("192.168.1.8"));
  CHECK_FALSE(p.Contains("11.0.0.1"));
  CHECK(p.Contains("fd12:3456::1"));
  CHECK(p.Contains("2001:db8::1"));
  CHECK_FALSE(p.Contains("2001:db8::2"));
  CHECK_FALSE(p.Contains("not an address"));
  CHECK(Proxies({"0.0.0.0/0"}).Contains("203.0.113.9"));
  CHECK(Proxies({"172.16.0.0/12"}).Contains("172.31.255.255"));
  CHECK_FALSE(Proxies({"172.16.0.0/12"}).Contains("172.32.0.0"));
  CHECK(TrustedProxies().empty());

  for (const char* bad : {"10.0.0.0/33", "proxy.example.com", "fd00::/129", "10.0.0.0/x", ""}) {
    auto r = TrustedProxies::Parse({bad});
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE(
    "the client address: X-Forwarded-For counts only behind a trusted proxy, read from the right") {
  TrustedProxies p = Proxies({"10.0.0.0/8"});
  SUBCASE("an untrusted peer is the client, whatever it writes in the header") {
    CHECK(p.ClientAddress("203.0.113.5", "198.51.100.1") == "203.0.113.5");
  }
  SUBCASE("behind a trusted proxy the last hop it saw is the client") {
    CHECK(p.ClientAddress("10.0.0.2", "203.0.113.5") == "203.0.113.5");
    // A forged entry on the left does not matter: the proxy appended the real address.
    CHECK(p.ClientAddress("10.0.0.2", "198.51.100.1, 203.0.113.5") == "203.0.113.5");
  }
  SUBCASE("chains of trusted proxies are skipped") {
    CHECK(p.ClientAddress("10.0.0.2", "203.0.113.5, 10.0.0.3") == "203.0.113.5");
  }
  SUBCASE("no header or only trusted hops: the proxy itself (or the farthest trusted hop)") {
    CHECK(p.ClientAddress("10.0.0.2", "") == "10.0.0.2");
    CHECK(p.ClientAddress("10.0.0.2", "10.0.0.9") == "10.0.0.9");
  }
  SUBCASE("a malformed hop stops the walk at the hop before it") {
    CHECK(p.ClientAddress("10.0.0.2", "203.0.113.5, garbage") == "10.0.0.2");
  }
  SUBCASE("without trusted proxies the header is ignored") {
    CHECK(TrustedProxies().ClientAddress("10.0.0.2", "203.0.113.5") == "10.0.0.2");
  }
}

TEST_CASE("sources: an IPv4 address each, an IPv6 host by its /64") {
  CHECK(SourceKey("203.0.113.5") == "203.0.113.5");
  CHECK(SourceKey("::ffff:203.0.113.5") == "203.0.113.5");
  CHECK(SourceKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64");
  CHECK(SourceKey("2001:db8:1:2:bbbb::9") == SourceKey("2001:db8:1:2:aaaa::1"));
  CHECK(SourceKey("2001:db8:1:3::1") != SourceKey("2001:db8:1:2::1"));
  CHECK(SourceKey("weird") == "weird");
}

TEST_CASE("per-source token bucket: a burst, then the rate, with the wait to the next token") {
  SourceRateLimiter limiter(SourceLimit{2, 3});
  const UnixMs t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) CHECK(limiter.Take("a", t0).allowed);
  auto refused = limiter.Take("a", t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_ms == 500);
  CHECK(limiter.Take("b", t0).allowed);  // another source has its own bucket
  CHECK_FALSE(limiter.Take("a", t0 + 400).allowed);
  CHECK(limiter.Take("a", t0 + 500).allowed);
  CHECK_FALSE(limiter.Take("a", t0 + 500).allowed);
  // Idle long enough, the burst is back (and never more than the burst).
  for (int i = 0; i < 3; ++i) CHECK(limiter.Take("a", t0 + 60'000).allowed);
  CHECK_FALSE(limiter.Take("a", t0 + 60'000).allowed);
}

TEST_CASE("per-source token bucket: rate 0 is no limit") {
  SourceRateLimiter limiter(SourceLimit{0, 1});
  for (int i = 0; i < 1000; ++i) CHECK(limiter.Take("a", 1).allowed);
  CHECK(limiter.sources() == 0);
}

TEST_CASE("per-source token bucket: memory stays bounded however many sources come") {
  SourceRateLimiter limiter(SourceLimit{1, 2}, 100);
  for (int i = 0; i < 1000; ++i) limiter.Take("s" + std::to_string(i), 1'000);
  CHECK(limiter.sources() <= 100);
  // Sources whose buckets refilled are dropped first; a busy one keeps its state.
  SourceRateLimiter keep(SourceLimit{1, 2}, 3);
  keep.Take("busy", 0);
  keep.Take("busy", 0);
  keep.Take("idle1", 0);
  keep.Take("idle2", 0);
  CHECK_FALSE(keep.Take("busy", 100).allowed);
  CHECK(keep.Take("new", 1'000).allowed);  // makes room: idle1 and idle2 have refilled
  CHECK(keep.sources() == 2);
  CHECK(keep.Take("busy", 1'000).allowed);  // 0.1 + 0.9 tokens: one, not a fresh burst
  CHECK_FALSE(keep.Take("busy", 1'000).allowed);
}

TEST_CASE("config: listen limits have defaults, accept overrides and refuse bad proxies") {
  const std::string base = R"("database": "d.db", "chat": {"kind": "console"})";
  auto c = ParseConfig("{" + base + "}");
  REQUIRE(c.ok());
  CHECK(c->listen.request_timeout_s == 20);
  CHECK(c->listen.max_queued_connections == 64);
  CHECK(c->listen.max_connections_per_source == 32);
  CHECK(c->listen.max_headers == 100);
  CHECK(c->listen.max_header_bytes == 32 * 1024);
  CHECK(c->listen.rate_limit_per_second == 100);
  CHECK(c->listen.rate_limit_burst == 500);
  CHECK(c->listen.trusted_proxies == std::vector<std::string>{"127.0.0.1", "::1"});

  auto custom =
      ParseConfig(R"({"listen": {"request_timeout_seconds": 5, "max_queued_connections": 0,
      "max_connections_per_source": 4, "max_headers": 20, "max_header_bytes": 4096,
      "rate_limit_per_source": {"per_second": 0.5, "burst": 2}, "trusted_proxies": ["10.0.0.0/8", "::1"]}, )" +
                  base + "}");
  REQUIRE_MESSAGE(custom.ok(), custom.status().message());
  CHECK(custom->listen.request_timeout_s == 5);
  CHECK(custom->listen.max_queued_connections == 0);
  CHECK(custom->listen.max_connections_per_source == 4);
  CHECK(custom->listen.max_headers == 20);
  CHECK(custom->listen.max_header_bytes == 4096);
  CHECK(custom->listen.rate_limit_per_second == 0.5);
  CHECK(custom->listen.rate_limit_burst == 2);
  CHECK(custom->listen.trusted_proxies == std::vector<std::string>{"10.0.0.0/8", "::1"});

  auto bad = ParseConfig(R"({"listen": {"trusted_proxies": ["10.0.0.0/8", "lb.internal"],
      "rate_limit_per_source": {"per_second": -1}}, )" +
                         base + "}");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find(
            "listen.trusted_proxies: \"lb.internal\" is not an IP address") != std::string::npos);
  CHECK(bad.status().message().find("listen.rate_limit_per_source.per_second") !=
        std::string::npos);
}

}  // namespace
}  // namespace duplex
