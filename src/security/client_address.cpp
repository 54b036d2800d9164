#include "security/client_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/text.h"

namespace duplex::security {
namespace {

// Parses an address; an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") counts as IPv4.
bool ParseAddress(const std::string& text, int& family, unsigned char (&bytes)[16]) {
  std::memset(bytes, 0, sizeof bytes);
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    std::memmove(bytes, bytes + 12, 4);
    std::memset(bytes + 4, 0, 12);
    family = 4;
    return true;
  }
  family = 6;
  return true;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies out;
  for (const auto& entry : entries) {
    Network n;
    std::string address = entry;
    std::size_t slash = entry.find('/');
    if (slash != std::string::npos) address = entry.substr(0, slash);
    if (!ParseAddress(text::Trim(address), n.family, n.bytes)) {
      return Status::Invalid("\"" + entry + "\" is not an IP address or CIDR network");
    }
    const int max_prefix = n.family == 4 ? 32 : 128;
    n.prefix = max_prefix;
    if (slash != std::string::npos) {
      auto prefix = text::ParseInt64(entry.substr(slash + 1));
      if (!prefix || *prefix < 0 || *prefix > max_prefix) {
        return Status::Invalid("\"" + entry + "\" has an invalid prefix length");
      }
      n.prefix = static_cast<int>(*prefix);
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool TrustedProxies::Contains(const std::string& address) const {
  int family = 0;
  unsigned char bytes[16];
  if (!ParseAddress(address, family, bytes)) return false;
  for (const Network& n : networks_) {
    if (n.family != family) continue;
    const int full = n.prefix / 8;
    const int rest = n.prefix % 8;
    if (std::memcmp(n.bytes, bytes, static_cast<std::size_t>(full)) != 0) continue;
    if (rest != 0) {
      const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((n.bytes[full] & mask) != (bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(const std::string& peer,
                                          const std::string& forwarded_for) const {
  if (!Contains(peer)) return peer;
  std::string client = peer;
  std::vector<std::string> hops = text::Split(forwarded_for, ',');
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    std::string hop = text::Trim(*it);
    int family = 0;
    unsigned char bytes[16];
    // A hop that is not an address was written by whoever sent it to the last trusted
    // proxy: that sender is the client.
    if (!ParseAddress(hop, family, bytes)) break;
    client = hop;
    if (!Contains(hop)) break;
  }
  return client;
}

std::string SourceKey(const std::string& address) {
  int family = 0;
  unsigned char bytes[16];
  if (!ParseAddress(address, family, bytes)) return address;
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    inet_ntop(AF_INET, bytes, buf, sizeof buf);
    return buf;
  }
  std::memset(bytes + 8, 0, 8);
  inet_ntop(AF_INET6, bytes, buf, sizeof buf);
  return std::string(buf) + "/64";
}

}  // namespace duplex::security
