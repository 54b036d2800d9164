#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "platforms/x/x_oauth2.h"
#include "support/fakes.h"

namespace duplex {
namespace {

// Tokens kept in memory: what a restart would read back.
class MemoryTokenStore final : public x::TokenStore {
 public:
  explicit MemoryTokenStore(std::optional<std::string>& saved, bool writable = true)
      : saved_(saved), writable_(writable) {}
  std::optional<std::string> Load() const override { return saved_; }
  bool Save(const std::string& content) override {
    if (writable_) saved_ = content;
    return writable_;
  }
  std::string Where() const override { return "memory"; }

 private:
  std::optional<std::string>& saved_;
  bool writable_;
};

x::XOAuth2Config Config(const std::string& refresh_token) {
  x::XOAuth2Config c;
  c.api_base = "https://api.x.test";
  c.client_id = "c1";
  c.refresh_token = refresh_token;
  return c;
}

constexpr UnixMs kNow = 1'715'680'000'000;

}  // namespace

TEST_CASE(
    "X OAuth 2.0 tokens go through the TokenStore port: saved when X rotates them, "
    "read back at the next start only for the same configured refresh_token") {
  std::optional<std::string> saved;
  {
    x::XUserToken token(Config("r1"), std::make_unique<MemoryTokenStore>(saved));
    test::FakeHttpClient http;
    http.PushStatus(200, R"({"access_token":"a1","expires_in":7200,"refresh_token":"r2"})");
    CHECK(token.Get(http, kNow).access_token == "a1");
  }
  REQUIRE(saved.has_value());
  CHECK(nlohmann::json::parse(*saved)["refresh_token"] == "r2");

  {
    x::XUserToken restarted(Config("r1"), std::make_unique<MemoryTokenStore>(saved));
    test::FakeHttpClient http;
    CHECK(restarted.Get(http, kNow).access_token == "a1");
    CHECK(http.requests().empty());  // no refresh: the saved token is still good
  }
  {
    x::XUserToken reconfigured(Config("brand-new"), std::make_unique<MemoryTokenStore>(saved));
    test::FakeHttpClient http;
    http.PushStatus(200, R"({"access_token":"b1","expires_in":7200,"refresh_token":"b2"})");
    CHECK(reconfigured.Get(http, kNow).access_token == "b1");
    REQUIRE(http.requests().size() == 1);
    CHECK(http.requests()[0].body.find("refresh_token=brand-new") != std::string::npos);
  }
}

TEST_CASE("X OAuth 2.0: a TokenStore that cannot save keeps the rotated token in memory") {
  std::optional<std::string> saved;
  x::XUserToken token(Config("r1"), std::make_unique<MemoryTokenStore>(saved, false));
  test::FakeHttpClient http;
  http.PushStatus(200, R"({"access_token":"a1","expires_in":7200,"refresh_token":"r2"})");
  CHECK(token.Get(http, kNow).access_token == "a1");
  CHECK_FALSE(saved.has_value());
  CHECK(token.Get(http, kNow).access_token == "a1");
  CHECK(http.requests().size() == 1);
}

}  // namespace duplex
