#include "app/http_server.h"

#include <httplib.h>

#include <chrono>

#include "core/log.h"

namespace duplex {
namespace {

thread_local std::chrono::steady_clock::time_point t_request_start;
thread_local const char* t_endpoint = "other";

InboundRequest ToInbound(const httplib::Request& req, std::string body, UnixMs now) {
  InboundRequest in;
  in.method = req.method;
  in.path = req.path;
  for (const auto& [k, v] : req.headers) in.headers.emplace_back(k, v);
  for (const auto& [k, v] : req.params) in.query.emplace_back(k, v);
  in.body = std::move(body);
  in.now = now;
  return in;
}

void WriteAnswer(const HttpAnswer& answer, httplib::Response& res) {
  res.status = answer.status;
  for (const auto& [k, v] : answer.headers) res.set_header(k, v);
  res.set_content(answer.body, answer.content_type);
}

void Serve(const HttpServer::Handler& handler, const httplib::Request& req, httplib::Response& res,
           std::string body, const Clock& clock) {
  WriteAnswer(handler(ToInbound(req, std::move(body), clock.NowMs())), res);
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, const Clock& clock, Metrics* metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  if (!options_.tls_cert.empty()) {
    server_ = std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(), options_.tls_key.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  auto& s = *server_;
  s.set_tcp_nodelay(true);
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second duplex bind the same port
  // and silently share its traffic. SO_REUSEADDR alone still allows quick restarts.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_payload_max_length(static_cast<std::size_t>(options_.max_body_bytes));
  s.set_read_timeout(options_.read_timeout_s, 0);
  s.set_write_timeout(options_.write_timeout_s, 0);
  s.set_keep_alive_timeout(5);
  s.set_keep_alive_max_count(static_cast<std::size_t>(options_.keep_alive_max_requests));
  const int threads = options_.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  s.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_request_start = std::chrono::steady_clock::now();
    t_endpoint = "other";
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::Error("handler threw", {{"method", req.method}, {"path", req.path}, {"error", what}});
    res.status = 500;
    res.set_content("{\"error\":\"internal error\"}", "application/json");
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const char* reason = res.status == 404   ? "not found"
                         : res.status == 413 ? "request body too large"
                         : res.status == 405 ? "method not allowed"
                         : res.status == 400 ? "bad request"
                                             : "error";
    res.set_content(std::string("{\"error\":\"") + reason + "\"}", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - t_request_start)
                  .count();
    log::Info("request", {{"method", req.method},
                          {"path", t_endpoint == std::string("other") ? "(other)" : req.path},
                          {"status", std::to_string(res.status)},
                          {"ms", std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100)},
                          {"remote", req.remote_addr}});
    if (metrics_) {
      metrics_->Inc("duplex_http_requests_total",
                    {{"path", t_endpoint}, {"status", std::to_string(res.status)}});
    }
  });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& path, Handler handler) {
  auto label = std::make_shared<std::string>(path);
  server_->Get(path, [this, label, handler](const httplib::Request& req, httplib::Response& res) {
    t_endpoint = label->c_str();
    Serve(handler, req, res, {}, clock_);
  });
}

void HttpServer::Post(const std::string& path, Handler handler) {
  auto label = std::make_shared<std::string>(path);
  server_->Post(path, [this, label, handler](const httplib::Request& req, httplib::Response& res) {
    t_endpoint = label->c_str();
    Serve(handler, req, res, req.body, clock_);
  });
}

void HttpServer::PostForm(const std::string& path, Handler handler) {
  auto label = std::make_shared<std::string>(path);
  const std::size_t limit = static_cast<std::size_t>(options_.max_body_bytes);
  server_->Post(path, [this, label, handler, limit](const httplib::Request& req, httplib::Response& res,
                                                    const httplib::ContentReader& reader) {
    t_endpoint = label->c_str();
    std::string body;
    bool too_large = false;
    bool ok = reader([&](const char* data, std::size_t len) {
      if (body.size() + len > limit) {
        too_large = true;
        return false;
      }
      body.append(data, len);
      return true;
    });
    // cpp-httplib refuses a declared Content-Length over the limit itself (status 413).
    if (too_large || res.status == 413) {
      WriteAnswer(JsonError(413, "request body too large"), res);
      return;
    }
    if (!ok) {
      WriteAnswer(JsonError(400, "could not read the request body"), res);
      return;
    }
    Serve(handler, req, res, std::move(body), clock_);
  });
}

Status HttpServer::Start() {
  if (!server_->is_valid()) return Status::Invalid("cannot load TLS certificate or key");
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Status::Unavailable("cannot bind " + options_.host);
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Status::Unavailable("cannot listen on " + options_.host + ":" +
                                 std::to_string(options_.port) + " (in use, or not allowed)");
    }
    port_ = options_.port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace duplex
