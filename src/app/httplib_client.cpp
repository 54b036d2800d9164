#include "app/httplib_client.h"

#include <httplib.h>
#include <netdb.h>

#include "core/text.h"

namespace duplex {

bool ParseUrl(const std::string& url, ParsedUrl& out) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  out.scheme = text::ToLowerAscii(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") return false;
  std::size_t host_start = scheme_end + 3;
  std::size_t path_start = url.find('/', host_start);
  std::string authority = url.substr(
      host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  out.path_and_query = path_start == std::string::npos ? "/" : url.substr(path_start);
  out.port = out.scheme == "https" ? 443 : 80;
  std::size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    auto port = text::ParseInt64(authority.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) return false;
    out.port = static_cast<int>(*port);
    authority = authority.substr(0, colon);
  }
  out.host = authority;
  // No user information: duplex sends none, and a host is quoted in error messages.
  return !out.host.empty() && out.host.find('@') == std::string::npos;
}

namespace {

TransportError Classify(httplib::Error e) {
  switch (e) {
    case httplib::Error::Success:
      return TransportError::kNone;
    // Nothing reached the server: no connection, no TLS session.
    case httplib::Error::Connection:
    case httplib::Error::BindIPAddress:
    case httplib::Error::ConnectionTimeout:
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
    case httplib::Error::UnsupportedMultipartBoundaryChars:
      return TransportError::kNotSent;
    default:
      return TransportError::kUnknown;
  }
}

// What went wrong, in words an operator can act on (never the request's headers or body).
std::string ExplainError(httplib::Error e, const ParsedUrl& url, const std::string& ca_file) {
  const std::string trusted_by = ca_file.empty() ? "the system CA store" : "the CA file " + ca_file;
  switch (e) {
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed: " + url.host +
             "'s certificate is not trusted by " + trusted_by +
             " or does not name that host (nothing was sent; set ca_file for a private CA)";
    case httplib::Error::SSLLoadingCerts:
      return "TLS: cannot load " + trusted_by + " (nothing was sent)";
    case httplib::Error::SSLConnection:
      return "TLS handshake with " + url.host + " failed (nothing was sent)";
    case httplib::Error::Connection: {
      // cpp-httplib says only "Connection" whether the name did not resolve or nobody listened.
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* found = nullptr;
      const bool resolves = getaddrinfo(url.host.c_str(), nullptr, &hints, &found) == 0;
      if (found != nullptr) freeaddrinfo(found);
      return resolves ? "connection refused or unreachable: " + url.host + ":" +
                            std::to_string(url.port) + " (nothing was sent)"
                      : "DNS: cannot resolve " + url.host + " (nothing was sent)";
    }
    case httplib::Error::ConnectionTimeout:
      return "connection to " + url.host + ":" + std::to_string(url.port) +
             " timed out (nothing was sent)";
    case httplib::Error::Read:
      return "no complete answer from " + url.host +
             " (the connection closed or the read timed out; the request may have arrived)";
    case httplib::Error::Write:
      return "sending to " + url.host + " failed (the connection closed or the write timed out)";
    default:
      return httplib::to_string(e);
  }
}

}  // namespace

HttpResult HttplibClient::Send(const HttpRequest& request) {
  HttpResult out;
  ParsedUrl url;
  if (!ParseUrl(request.url, url)) {
    out.error = TransportError::kNotSent;
    out.error_message = "invalid URL";
    return out;
  }
  std::unique_ptr<httplib::ClientImpl> client;
  if (url.scheme == "https") {
    auto ssl = std::make_unique<httplib::SSLClient>(url.host, url.port);
    if (!request.ca_file.empty()) ssl->set_ca_cert_path(request.ca_file.c_str());
    ssl->enable_server_certificate_verification(true);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  const auto timeout = std::chrono::milliseconds(request.timeout_ms);
  client->set_connection_timeout(std::min(timeout, std::chrono::milliseconds(5000)));
  client->set_read_timeout(timeout);
  client->set_write_timeout(timeout);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(false);
  client->set_follow_location(false);

  httplib::Headers headers;
  for (const auto& [k, v] : request.headers) headers.emplace(k, v);
  if (FindHeader(request.headers, "User-Agent").empty())
    headers.emplace("User-Agent", "duplex/0.1");
  httplib::Result res = [&] {
    if (request.method == "GET") return client->Get(url.path_and_query, headers);
    if (request.method == "PUT") {
      return client->Put(url.path_and_query, headers, request.body, request.content_type);
    }
    return client->Post(url.path_and_query, headers, request.body, request.content_type);
  }();
  if (!res) {
    out.error = Classify(res.error());
    if (out.error == TransportError::kNone) out.error = TransportError::kUnknown;
    out.error_message = ExplainError(res.error(), url, request.ca_file);
    return out;
  }
  out.response.status = res->status;
  out.response.body = res->body;
  for (const auto& [k, v] : res->headers) out.response.headers.emplace_back(k, v);
  return out;
}

}  // namespace duplex
