// What the two baseline servers (bare_server, durable_server) share, so that they stay set up
// alike and like duplex's HttpServer: TCP_NODELAY, the thread pool size, the body limit,
// timeouts and keep-alive, the /healthz answer, and stopping on SIGTERM/SIGINT. Only what a
// server does with a POST differs between them.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <csignal>
#include <cstddef>
#include <cstdio>

namespace duplex::bench {

inline httplib::Server*& SignalledServer() {
  static httplib::Server* server = nullptr;
  return server;
}

// `keep_alive_max` 0 keeps cpp-httplib's default.
inline void SetUpLikeDuplex(httplib::Server& server, int threads, int keep_alive_max) {
  server.set_tcp_nodelay(true);
  server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_payload_max_length(1 << 20);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.set_keep_alive_timeout(5);
  if (keep_alive_max > 0) server.set_keep_alive_max_count(static_cast<std::size_t>(keep_alive_max));
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"ok\":true}", "application/json");
  });
}

// Serves on 127.0.0.1:`port` until SIGTERM or SIGINT; 0 when stopped, 1 when it cannot listen.
inline int ServeUntilSignalled(httplib::Server& server, int port, const char* name) {
  SignalledServer() = &server;
  auto stop = [](int) {
    if (SignalledServer()) SignalledServer()->stop();
  };
  std::signal(SIGTERM, stop);
  std::signal(SIGINT, stop);
  if (!server.bind_to_port("127.0.0.1", port)) {
    std::fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d\n", name, port);
    return 1;
  }
  server.listen_after_bind();
  return 0;
}

}  // namespace duplex::bench
