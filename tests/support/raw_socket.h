// RawSocket: a plain TCP client for tests that must misbehave on purpose — send a request a
// byte at a time, never finish it, hold a connection idle, or come from another loopback
// address (127.0.0.2...) so per-address limits can be seen.
#pragma once

#include <string>

namespace duplex::test {

class RawSocket {
 public:
  // Connects to 127.0.0.1:`port` from `source` (any local loopback address).
  explicit RawSocket(int port, const std::string& source = "127.0.0.1");
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return fd_ >= 0; }
  // False once the peer has closed or reset the connection.
  bool Send(const std::string& bytes);
  // Reads what arrives within `timeout_ms` until the peer closes or `until` appears.
  std::string Read(int timeout_ms, const std::string& until = "");
  // True if the peer closes (or resets) within `timeout_ms`.
  bool WaitClosed(int timeout_ms);
  // True once a Read or WaitClosed has seen the peer close or reset the connection.
  bool peer_closed() const { return peer_closed_; }
  void Close();

 private:
  int fd_ = -1;
  bool peer_closed_ = false;
};

// Open file descriptors of this process (for leak checks), not counting its connections to
// the test PostgreSQL server: a store's pool opens those as it needs them, and keeps them.
int OpenFileCount();

}  // namespace duplex::test
