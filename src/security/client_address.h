// Which address a request comes from, for per-source limits. Behind a reverse proxy every
// request arrives from the proxy, so X-Forwarded-For is believed only when the peer is a
// configured trusted proxy, and then only up to the first hop that is not trusted: a client
// can write anything in the header, but it cannot make an untrusted hop look trusted.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace duplex::security {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries are IPv4 or IPv6 addresses or CIDR networks ("10.0.0.0/8", "fd00::/8");
  // InvalidArgument names the first entry that is neither.
  static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool empty() const { return networks_.empty(); }
  bool Contains(const std::string& address) const;

  // The client's address: `peer` itself unless it is trusted; else X-Forwarded-For read from
  // the right, skipping trusted hops (all headers' values joined with ','). A malformed
  // entry stops the walk at the hop that added it.
  std::string ClientAddress(const std::string& peer, const std::string& forwarded_for) const;

 private:
  struct Network {
    int family = 0;  // 4 or 6
    unsigned char bytes[16] = {};
    int prefix = 0;
  };
  std::vector<Network> networks_;
};

// The key one source is limited under: an IPv4 address as is, an IPv6 address by its /64
// (one host usually owns a whole /64), anything unparsable as written.
std::string SourceKey(const std::string& address);

}  // namespace duplex::security
