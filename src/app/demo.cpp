// `duplex demo`: the whole round trip in one process, through the real code paths.
// A temporary SQLite database, console chat, the generic platform, and a sample reply
// receiver on a free loopback port. Signed mentions go in through HTTP, are stored, routed
// and posted to the console; a signed `/duplex reply` goes in through the command endpoint
// and comes out at the receiver, signed; the confirmation lands in the thread. Each step is
// checked by what came out (the receiver's requests, the console chat's lines), not only by
// what the outbox says.
#include <httplib.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "app/app.h"
#include "app/cli.h"
#include "app/httplib_client.h"
#include "core/log.h"
#include "core/text.h"
#include "security/crypto.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using nlohmann::json;

struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<json> replies;
  std::atomic<int> bad_signatures{0};
};

bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// The console chat's stream: shown on stdout as it is written, and kept, so the demo can
// check what was actually posted.
class ConsoleRecord final : public std::streambuf {
 public:
  std::string Text() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const char ch = static_cast<char>(c);
    xsputn(&ch, 1);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::cout.write(s, n);
    std::lock_guard lock(mu_);
    text_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int sync() override {
    std::cout.flush();
    return 0;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

void Say(const std::string& s) {
  std::cout << "\ndemo: " << s << "\n" << std::flush;
}

}  // namespace

int RunDemo() {
  log::SetLevel(log::Level::kWarn);
  char dir_template[] = "/tmp/duplex-demo-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::cerr << "demo: cannot create a temporary directory\n";
    return 1;
  }
  const std::filesystem::path dir = dir_template;
  const std::string secret = "whsec_" + security::Base64Encode(security::RandomBytes(24));
  const std::string signing_secret = security::HexEncode(security::RandomBytes(16));

  Receiver receiver;
  receiver.server.set_tcp_nodelay(true);
  receiver.server.Post("/replies", [&](const httplib::Request& req, httplib::Response& res) {
    SystemClock clock;
    Status s = security::VerifyStandardWebhook(
        secret, req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
        req.get_header_value("webhook-signature"), req.body, clock.NowSeconds());
    if (!s.ok()) {
      receiver.bad_signatures++;
      res.status = 401;
      return;
    }
    json body = json::parse(req.body, nullptr, false);
    std::lock_guard lock(receiver.mu);
    receiver.replies.push_back(body);
    res.set_content(security::DumpJson(json{{"url", "https://crm.example.com/replies/" +
                                                        body.value("id", std::string())}}),
                    "application/json");
  });
  receiver.port = receiver.server.bind_to_any_port("127.0.0.1");
  receiver.thread = std::thread([&] { receiver.server.listen_after_bind(); });

  json cfg = {
      {"listen", {{"host", "127.0.0.1"}, {"port", 0}}},
      {"database", (dir / "duplex.db").string()},
      {"chat",
       {{"kind", "console"},
        {"signing_secret", signing_secret},
        {"team_id", "TDEMO"},
        {"default_channel", "social"},
        {"rate_limit", {{"per_second", 20}, {"burst", 20}}}}},
      {"platforms",
       {{"generic",
         {{"secret", secret},
          {"reply_url", "http://127.0.0.1:" + std::to_string(receiver.port) + "/replies"}}}}}};
  auto config = ParseConfig(security::DumpJson(cfg));
  ConsoleRecord console_record;
  std::ostream console(&console_record);
  AppDeps deps;
  deps.console = &console;
  int exit_code = 1;
  if (!config.ok()) {
    std::cerr << "demo: internal config invalid: " << config.status().message() << "\n";
  } else if (auto app = App::Create(*config, deps); !app.ok()) {
    std::cerr << "demo: cannot start: " << app.status().message() << "\n";
  } else if (Status s = (*app)->Start(); !s.ok()) {
    std::cerr << "demo: cannot start: " << s.message() << "\n";
  } else {
    App& a = **app;
    const std::string base = "http://127.0.0.1:" + std::to_string(a.port());
    HttplibClient http;
    SystemClock clock;
    auto send_mention = [&](const std::string& id, const std::string& conversation,
                            const std::string& handle, std::int64_t followers,
                            const std::string& text, const std::string& sign_with) {
      std::string body =
          security::DumpJson(json{{"id", id},
                                  {"conversation", conversation},
                                  {"kind", "direct"},
                                  {"author",
                                   {{"id", "id-" + handle},
                                    {"handle", handle},
                                    {"name", handle + " (sample)"},
                                    {"followers", followers}}},
                                  {"text", text},
                                  {"url", "https://crm.example.com/messages/" + id}});
      std::string ts = std::to_string(clock.NowSeconds());
      HttpRequest req;
      req.url = base + "/webhooks/generic";
      req.body = body;
      req.headers = {
          {"webhook-id", "wh-" + id},
          {"webhook-timestamp", ts},
          {"webhook-signature", security::SignStandardWebhook(sign_with, "wh-" + id, ts, body)}};
      HttpResult r = http.Send(req);
      int status = r.ok() ? r.response.status : 0;
      std::cout << "  POST /webhooks/generic (" << id << ") -> " << status << " "
                << (r.ok() ? r.response.body : r.error_message) << "\n";
      return status;
    };

    std::cout << "duplex demo: database " << config->database << ", server " << base
              << ", sample reply receiver on port " << receiver.port << "\n";
    Say("three customers write in (Standard Webhooks, signed); one writes twice in the same "
        "conversation");
    int accepted = 0;
    accepted += send_mention("m1", "order-1042", "ana", 1250,
                             "My order #1042 has not arrived, can you help?", secret) == 200;
    accepted += send_mention("m2", "billing-7", "bruno", 48200,
                             "Why was I charged twice this month?", secret) == 200;
    accepted +=
        send_mention("m3", "order-1042", "ana", 1250, "It was due last Friday.", secret) == 200;
    Say("the same webhook again (a platform retry) and one with a wrong signature");
    bool dup_ok =
        send_mention("m3", "order-1042", "ana", 1250, "It was due last Friday.", secret) == 200;
    bool forged_refused = send_mention("m4", "x", "mallory", 1, "forged",
                                       "whsec_" + security::Base64Encode("wrong")) == 401;

    Say("the console chat shows each conversation as a thread (waiting for the posts)");
    // Posted: both roots, and ana's second message in the thread of her first.
    bool posted = WaitFor(
        [&] {
          auto c1 = a.store().GetConversation(1);
          if (!c1.ok() || !c1->has_value() || (*c1)->chat_thread.empty()) return false;
          const std::string chat = console_record.Text();
          return chat.find("[chat #social] #1 · ") != std::string::npos &&
                 chat.find("[chat #social] #2 · ") != std::string::npos &&
                 chat.find("[chat #social thread " + (*c1)->chat_thread + "] #1 · ") !=
                     std::string::npos;
        },
        10'000);

    Say("staff answer from chat: /duplex reply 1 … (a signed Slack-format command)");
    std::string form =
        "team_id=TDEMO&channel_id=social&user_id=U0STAFF&user_name=sam&command=%2Fduplex&text=" +
        text::UrlEncode("reply #1 Sorry Ana! Your parcel ships today, tracking follows by email.") +
        "&response_url=&trigger_id=demo";
    std::string ts = std::to_string(clock.NowSeconds());
    HttpRequest cmd;
    cmd.url = base + "/chat/slack/commands";
    cmd.content_type = "application/x-www-form-urlencoded";
    cmd.body = form;
    cmd.headers = {{"X-Slack-Request-Timestamp", ts},
                   {"X-Slack-Signature", security::SignSlackV0(signing_secret, ts, form)}};
    HttpResult cmd_res = http.Send(cmd);
    std::cout << "  POST /chat/slack/commands -> " << (cmd_res.ok() ? cmd_res.response.status : 0)
              << " " << (cmd_res.ok() ? cmd_res.response.body : cmd_res.error_message) << "\n";

    Say("the reply reaches the customer's system, signed, in reply to their last message");
    bool delivered = WaitFor(
        [&] {
          std::lock_guard lock(receiver.mu);
          return !receiver.replies.empty();
        },
        10'000);
    json reply;
    {
      std::lock_guard lock(receiver.mu);
      if (!receiver.replies.empty()) reply = receiver.replies.front();
    }
    if (delivered) std::cout << "  receiver got: " << security::DumpJson(reply) << "\n";
    // Confirmed: the console chat printed it in conversation 1's thread, and its delivery is
    // recorded done.
    bool confirmed = WaitFor(
        [&] {
          auto c1 = a.store().GetConversation(1);
          if (!c1.ok() || !c1->has_value() || (*c1)->chat_thread.empty()) return false;
          const std::string line = "[chat #social thread " + (*c1)->chat_thread +
                                   "] Reply by @U0STAFF posted on Webhook";
          if (console_record.Text().find(line) == std::string::npos) return false;
          auto done = a.store().ListDeliveries({DeliveryState::kDone}, 100);
          return done.ok() && std::any_of(done->begin(), done->end(), [](const Delivery& d) {
                   return d.kind == DeliveryKind::kChatNotice && d.conversation_id == 1 &&
                          d.payload.find("posted on Webhook") != std::string::npos;
                 });
        },
        10'000);
    a.Shutdown(5'000);

    bool reply_right = delivered && reply.value("conversation", "") == "order-1042" &&
                       reply.value("in_reply_to", "") == "m3" && receiver.bad_signatures == 0;
    Say("summary");
    auto check = [](bool ok, const std::string& what) {
      std::cout << "  [" << (ok ? "ok" : "FAILED") << "] " << what << "\n";
      return ok;
    };
    bool all = true;
    all &= check(accepted == 3, "3 signed mentions accepted (2xx only after commit)");
    all &= check(dup_ok, "a resent webhook was acknowledged and dropped as a duplicate");
    all &= check(forged_refused, "a forged signature was refused with 401");
    all &= check(posted, "mentions posted to chat, one thread per conversation");
    all &=
        check(cmd_res.ok() && cmd_res.response.status == 200, "/duplex reply acknowledged at once");
    all &=
        check(reply_right, "reply delivered, signed, in reply to the customer's last message (m3)");
    all &= check(confirmed, "confirmation posted in the conversation's thread");
    exit_code = all ? 0 : 1;
  }
  receiver.server.stop();
  if (receiver.thread.joinable()) receiver.thread.join();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return exit_code;
}

}  // namespace duplex
