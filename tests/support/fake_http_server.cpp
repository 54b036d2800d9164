#include "support/fake_http_server.h"

#include <httplib.h>

#include <algorithm>

#include "support/test_util.h"

namespace duplex::test {

FakeHttpServer::FakeHttpServer() : server_(std::make_unique<httplib::Server>()) {
  Listen();
}

FakeHttpServer::FakeHttpServer(const std::string& tls_cert, const std::string& tls_key)
    : server_(std::make_unique<httplib::SSLServer>(tls_cert.c_str(), tls_key.c_str())), tls_(true) {
  Listen();
}

void FakeHttpServer::Listen() {
  server_->set_tcp_nodelay(true);
  auto handle = [this](const httplib::Request& req, httplib::Response& res) {
    RecordedRequest r;
    r.method = req.method;
    r.path = req.path;
    r.body = req.body;
    for (const auto& [k, v] : req.params) r.params.emplace_back(k, v);
    for (const auto& [k, v] : req.headers) r.headers.emplace_back(k, v);
    FakeAnswer a = Answer(r);
    if (a.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(a.delay_ms));
    res.status = a.status;
    for (const auto& [k, v] : a.headers) res.set_header(k, v);
    res.set_content(a.body, a.content_type);
  };
  server_->Post(".*", handle);
  server_->Get(".*", handle);
  server_->Put(".*", handle);
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  WaitUntil([this] { return server_->is_running(); }, 2000);
}

FakeHttpServer::~FakeHttpServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  held_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void FakeHttpServer::On(const std::string& path, Handler handler) {
  std::lock_guard lock(mu_);
  handlers_[path] = std::move(handler);
}

void FakeHttpServer::OnAny(Handler handler) {
  std::lock_guard lock(mu_);
  fallback_ = std::move(handler);
}

void FakeHttpServer::Script(const std::string& path, FakeAnswer answer, int count) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) scripted_[path].push_back(answer);
}

void FakeHttpServer::Hold(const std::string& path, const std::string& needle, int count) {
  std::lock_guard lock(mu_);
  holds_.push_back({path, needle, count});
}

std::size_t FakeHttpServer::Held() const {
  std::lock_guard lock(mu_);
  return held_;
}

void FakeHttpServer::ReleaseHeld() {
  {
    std::lock_guard lock(mu_);
    ++release_generation_;
  }
  held_cv_.notify_all();
}

FakeAnswer FakeHttpServer::Answer(const RecordedRequest& r) {
  Handler handler;
  {
    std::unique_lock lock(mu_);
    requests_.push_back(r);
    auto hold = std::find_if(holds_.begin(), holds_.end(), [&](const HoldRule& h) {
      return h.count > 0 && h.path == r.path && r.body.find(h.needle) != std::string::npos;
    });
    if (hold != holds_.end()) {
      --hold->count;
      ++held_;
      const std::uint64_t generation = release_generation_;
      held_cv_.wait(lock, [&] { return stopping_ || release_generation_ != generation; });
      --held_;
      return FakeAnswer{503, R"({"ok":false,"error":"held"})"};
    }
    auto s = scripted_.find(r.path);
    if (s != scripted_.end() && !s->second.empty()) {
      FakeAnswer a = s->second.front();
      s->second.erase(s->second.begin());
      return a;
    }
    auto h = handlers_.find(r.path);
    handler = h != handlers_.end() ? h->second : fallback_;
  }
  return handler ? handler(r) : FakeAnswer{};
}

void FakeHttpServer::ClearScripts() {
  std::lock_guard lock(mu_);
  scripted_.clear();
}

std::vector<RecordedRequest> FakeHttpServer::Requests(const std::string& path) const {
  std::lock_guard lock(mu_);
  if (path.empty()) return requests_;
  std::vector<RecordedRequest> out;
  for (const auto& r : requests_) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

std::size_t FakeHttpServer::Count(const std::string& path) const {
  return Requests(path).size();
}

bool FakeHttpServer::WaitForCount(const std::string& path, std::size_t n, int timeout_ms) const {
  return WaitUntil([&] { return Count(path) >= n; }, timeout_ms);
}

void FakeHttpServer::Clear() {
  std::lock_guard lock(mu_);
  requests_.clear();
}

}  // namespace duplex::test
