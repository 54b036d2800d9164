// A throwaway self-signed certificate for TLS tests, made with OpenSSL in the test itself:
// an EC P-256 key, valid for a day, naming 127.0.0.1 and localhost.
#pragma once

#include <string>

namespace duplex::test {

struct TlsFiles {
  std::string cert;  // PEM; also the CA file a client trusts it with
  std::string key;   // PEM, unencrypted
};

// Writes `name`-cert.pem and `name`-key.pem into `dir`; fails the test if OpenSSL cannot.
TlsFiles MakeSelfSignedCert(const std::string& dir, const std::string& name = "duplex-test");

}  // namespace duplex::test
