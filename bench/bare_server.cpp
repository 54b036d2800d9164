// The ingest baseline: a bare cpp-httplib server that answers POST /webhooks/generic with the
// same 200 JSON body duplex sends, without verifying, parsing or storing anything. It is set
// up like duplex's HttpServer (TCP_NODELAY, thread pool size, timeouts, keep-alive), so the
// difference between the two is the work duplex does per request.
//
// With --relay URL it is also the end-to-end floor: each POST is first forwarded as one
// chat.postMessage to URL (a new connection per post, as duplex's HTTP client does), then
// answered — the least any webhook-to-chat relay does, with nothing stored.
//
//   bare_server --port P [--threads 64] [--keep-alive-max N] [--relay http://127.0.0.1:S/api]
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "baseline_server.h"

int main(int argc, char** argv) {
  int port = 0;
  int threads = 64;
  int keep_alive_max = 0;  // 0: cpp-httplib's default
  std::string relay;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else if (flag == "--keep-alive-max") {
      keep_alive_max = std::atoi(argv[i + 1]);
    } else if (flag == "--relay") {
      relay = argv[i + 1];
    }
  }
  if (port <= 0 || threads <= 0) {
    std::fprintf(stderr,
                 "usage: bare_server --port P [--threads N] [--keep-alive-max N] [--relay URL]\n");
    return 2;
  }

  httplib::Server server;
  duplex::bench::SetUpLikeDuplex(server, threads, keep_alive_max);

  // "http://127.0.0.1:PORT/api" → host, port, path prefix.
  std::string relay_host, relay_path;
  int relay_port = 0;
  if (!relay.empty()) {
    std::string rest = relay.substr(relay.find("://") + 3);
    std::string authority = rest.substr(0, rest.find('/'));
    relay_path = rest.substr(authority.size()) + "/chat.postMessage";
    relay_host = authority.substr(0, authority.find(':'));
    relay_port = std::atoi(authority.substr(authority.find(':') + 1).c_str());
  }

  server.Post("/webhooks/generic", [&](const httplib::Request& req, httplib::Response& res) {
    if (relay_port != 0) {
      httplib::Client client(relay_host, relay_port);
      client.set_tcp_nodelay(true);
      client.set_keep_alive(false);
      std::string post =
          "{\"channel\":\"C0SOCIAL\",\"text\":" + std::string("\"relayed\",\"raw\":") + req.body +
          "}";
      auto r = client.Post(relay_path.c_str(), post, "application/json");
      if (!r || r->status != 200) {
        res.status = 503;
        res.set_content("{\"error\":\"chat unavailable\"}", "application/json");
        return;
      }
    }
    res.status = 200;
    res.set_content("{\"ok\":true,\"accepted\":1,\"duplicates\":0}", "application/json");
  });

  return duplex::bench::ServeUntilSignalled(server, port, "bare_server");
}
