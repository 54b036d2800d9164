// The newcomer's local round trip, through the real binary and deploy/local.json as README
// shows it: receive + serve + simulate + chat, a mention in and a reply out, no Slack.
#include <doctest/doctest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "app/httplib_client.h"
#include "support/e2e_store.h"
#include "support/process.h"
#include "support/test_util.h"

namespace duplex::test {

using nlohmann::json;

namespace {

const std::string kRoot = std::string(DUPLEX_FIXTURES_DIR) + "/../..";

// deploy/local.json with free ports and `database`, written to dir/local.json.
std::string LocalConfig(const TempDir& dir, const E2eDatabase& database, int port,
                        int receiver_port, json patch = json::object()) {
  json c =
      json::parse(ReadFile(kRoot + "/deploy/local.json"), nullptr, true, /*ignore_comments=*/true);
  c["listen"]["port"] = port;
  c["database"] = database.config();
  c["platforms"]["generic"]["reply_url"] =
      "http://127.0.0.1:" + std::to_string(receiver_port) + "/replies";
  c.merge_patch(patch);
  WriteFile(dir.File("local.json"), c.dump());
  return dir.File("local.json");
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("local round trip: receive, serve, simulate and chat with deploy/local.json, no Slack") {
  TempDir dir;
  E2eDatabase database(dir);
  const int port = FreePort();
  int receiver_port = FreePort();
  while (receiver_port == port) receiver_port = FreePort();
  const std::string config = LocalConfig(dir, database, port, receiver_port);

  DuplexProcess receive({"receive", "--config", config}, dir.path().string());
  REQUIRE(WaitUntil([&] { return Contains(receive.Stdout(), "listening on"); }, 10'000));
  DuplexProcess serve({"serve", "--config", config}, dir.path().string());
  REQUIRE(WaitHealthy(port));

  auto mention =
      RunDuplex({"simulate", "generic", "--config", config, "--text", "Where is my parcel?"});
  CHECK_MESSAGE(mention.exit_code == 0, mention.err);
  CHECK(Contains(mention.out, "-> 200"));
  REQUIRE(WaitUntil([&] { return Contains(serve.Stdout(), "Where is my parcel?"); }, 10'000));
  CHECK(Contains(serve.Stdout(), "[chat #social] #1"));

  auto reply = RunDuplex({"chat", "--config", config, "reply", "1", "It", "ships", "today"});
  CHECK_MESSAGE(reply.exit_code == 0, reply.err);
  CHECK(Contains(reply.out, "Queued reply to #1"));

  // The reply reaches the customer's side, its signature checked there...
  REQUIRE(WaitUntil([&] { return Contains(receive.Stdout(), "It ships today"); }, 10'000));
  CHECK(Contains(receive.Stdout(), "signature ok"));
  // ...and the confirmation shows in the console chat's thread.
  CHECK(WaitUntil([&] { return Contains(serve.Stdout(), "Reply by @you posted on Webhook"); },
                  10'000));

  // A staff command that only answers: its answer is printed.
  auto queue = RunDuplex({"chat", "--config", config, "show", "1"});
  CHECK_MESSAGE(queue.exit_code == 0, queue.err);
  CHECK(Contains(queue.out, "#1"));

  CHECK(serve.Signal(SIGTERM) == 0);
  CHECK(receive.Signal(SIGTERM) == 0);
}

TEST_CASE("local round trip: chat signs with the configured secret, and without one it explains") {
  TempDir dir;
  E2eDatabase database(dir);
  const int port = FreePort();
  const std::string config = LocalConfig(dir, database, port, FreePort());
  DuplexProcess serve({"serve", "--config", config}, dir.path().string());
  REQUIRE(WaitUntil([&] { return Contains(serve.Stderr(), "duplex listening"); }, 10'000));

  // A chat command signed with another secret is refused by the server: no open path.
  json other = json::parse(ReadFile(config));
  other["chat"]["signing_secret"] = "some-other-secret-0123456";
  WriteFile(dir.File("other.json"), other.dump());
  auto forged = RunDuplex({"chat", "--config", dir.File("other.json"), "queue"});
  CHECK(forged.exit_code == 1);
  CHECK(Contains(forged.err, "HTTP 401"));

  json unsigned_config = json::parse(ReadFile(config));
  unsigned_config["chat"].erase("signing_secret");
  WriteFile(dir.File("unsigned.json"), unsigned_config.dump());
  auto refused = RunDuplex({"chat", "--config", dir.File("unsigned.json"), "queue"});
  CHECK(refused.exit_code == 2);
  CHECK(Contains(refused.err, "has no chat.signing_secret, so the server accepts no commands"));
  CHECK(serve.Signal(SIGTERM) == 0);
}

TEST_CASE("cli: an unknown command or platform is named, with the valid ones") {
  auto bogus = RunDuplex({"bogus"});
  CHECK(bogus.exit_code == 2);
  CHECK(Contains(bogus.err, "unknown command 'bogus'"));
  CHECK(Contains(bogus.err, "simulate, chat, receive"));

  TempDir dir;
  E2eDatabase database(dir);
  const std::string config = LocalConfig(dir, database, 1, 2);
  auto platform = RunDuplex({"simulate", "myspace", "--config", config});
  CHECK(platform.exit_code == 2);
  CHECK(Contains(platform.err,
                 "unknown platform 'myspace' (known: generic, x, telegram, meta, github"));
}

}  // namespace duplex::test

namespace duplex::test {

TEST_CASE(
    "simulate: whatsapp, instagram, messenger and meta samples are accepted and posted, "
    "needing only the platform's own variables") {
  TempDir dir;
  E2eDatabase database(dir);
  const int port = FreePort();
  const json meta = {{"app_secret", "meta-app-secret-for-simulate"},
                     {"verify_token", "verify"},
                     {"page_token", "page-token"},
                     // Nothing listens there: lookups fail at once instead of reaching Meta.
                     {"api_base", "http://127.0.0.1:" + std::to_string(FreePort())}};
  const std::string config =
      LocalConfig(dir, database, port, FreePort(), {{"platforms", {{"meta", meta}}}});
  DuplexProcess serve({"serve", "--config", config}, dir.path().string());
  REQUIRE(WaitUntil([&] { return Contains(serve.Stderr(), "duplex listening"); }, 10'000));

  // The same file with other sections' variables unset: simulate reads only platforms.meta.
  json partial = json::parse(ReadFile(config));
  partial["chat"]["signing_secret"] = "${DUPLEX_TEST_UNSET_CHAT}";
  partial["platforms"]["generic"]["secret"] = "${DUPLEX_TEST_UNSET_GENERIC}";
  WriteFile(dir.File("partial.json"), partial.dump());

  for (const std::string surface : {"whatsapp", "instagram", "messenger", "meta"}) {
    CAPTURE(surface);
    const std::string text = "Hello from " + surface;
    auto sent =
        RunDuplex({"simulate", surface, "--config", dir.File("partial.json"), "--text", text});
    CHECK_MESSAGE(sent.exit_code == 0, sent.err);
    CHECK(Contains(sent.out, "-> 200"));
    CHECK(WaitUntil([&] { return Contains(serve.Stdout(), text); }, 10'000));
  }
  auto generic = RunDuplex({"simulate", "generic", "--config", dir.File("partial.json")});
  CHECK(generic.exit_code == 2);
  CHECK(Contains(generic.err, "DUPLEX_TEST_UNSET_GENERIC is not set"));
  CHECK(serve.Signal(SIGTERM) == 0);
}

}  // namespace duplex::test
