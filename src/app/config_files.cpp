#include "app/config_files.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <memory>

namespace duplex {
namespace {

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// OpenSSL's reason for the last failure, e.g. "no start line" for a file that is not PEM.
std::string OpenSslReason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason ? reason : "unreadable";
}

std::string Missing(const std::string& file) {
  std::error_code ec;
  return std::filesystem::exists(file, ec) ? "" : "no such file";
}

void CheckTls(const ListenConfig& listen, std::vector<std::string>& errors) {
  if (listen.tls_cert.empty()) return;
  SslCtx ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  bool loaded = true;
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), listen.tls_cert.c_str()) != 1) {
    const std::string missing = Missing(listen.tls_cert);
    errors.push_back(
        "listen.tls_cert: cannot load the certificate '" + listen.tls_cert + "': " +
        (missing.empty() ? OpenSslReason() + " (a PEM certificate chain is expected)" : missing));
    loaded = false;
  }
  // The key alone first, so a key that loads but belongs to another certificate says so.
  SslCtx key_only(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (SSL_CTX_use_PrivateKey_file(key_only.get(), listen.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string missing = Missing(listen.tls_key);
    errors.push_back(
        "listen.tls_key: cannot load the private key '" + listen.tls_key + "': " +
        (missing.empty() ? OpenSslReason() + " (an unencrypted PEM key is expected)" : missing));
    loaded = false;
  }
  ERR_clear_error();
  if (loaded &&
      (SSL_CTX_use_PrivateKey_file(ctx.get(), listen.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
       SSL_CTX_check_private_key(ctx.get()) != 1)) {
    ERR_clear_error();
    errors.push_back("listen.tls_key: the key '" + listen.tls_key +
                     "' does not belong to the certificate '" + listen.tls_cert + "'");
  }
}

void CheckCaFile(const std::string& path, const std::string& file,
                 std::vector<std::string>& errors) {
  if (file.empty()) return;
  SslCtx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (SSL_CTX_load_verify_locations(ctx.get(), file.c_str(), nullptr) != 1) {
    const std::string missing = Missing(file);
    errors.push_back(
        path + ": cannot load the CA file '" + file +
        "': " + (missing.empty() ? OpenSslReason() + " (PEM certificates are expected)" : missing));
  }
  ERR_clear_error();
}

}  // namespace

Status CheckConfigFiles(const Config& config) {
  std::vector<std::string> errors;
  CheckTls(config.listen, errors);
  CheckCaFile("chat.ca_file", config.chat.ca_file, errors);
  for (auto it = config.platforms.begin(); it != config.platforms.end(); ++it) {
    if (!it.value().is_object()) continue;
    CheckCaFile("platforms." + it.key() + ".ca_file", it.value().value("ca_file", ""), errors);
  }
  // X's rotated tokens are written there while serving: its folder must exist by then.
  if (config.platforms.contains("x")) {
    const std::string token_file = config.platforms["x"].value("token_file", "");
    std::error_code ec;
    const auto dir = std::filesystem::absolute(token_file, ec).parent_path();
    if (!token_file.empty() && !std::filesystem::is_directory(dir, ec)) {
      errors.push_back("platforms.x.token_file: the folder '" + dir.string() + "' of '" +
                       token_file + "' does not exist");
    }
  }
  if (errors.empty()) return Status::Ok();
  std::string message;
  for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
  return Status::Invalid(message);
}

}  // namespace duplex
