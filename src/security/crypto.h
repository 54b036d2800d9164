// Cryptographic primitives over OpenSSL, as plain functions on byte strings.
// Guarantees: HMAC outputs are raw bytes (encode with Hex/Base64 as a scheme needs);
// ConstantTimeEquals takes time independent of where the inputs differ; decoders reject
// malformed input instead of guessing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace duplex::security {

std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha1(std::string_view key, std::string_view data);
std::string Sha256(std::string_view data);

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view b64);

// Compares two byte strings without early exit. Different lengths compare unequal (the
// length itself is not secret in any scheme duplex checks).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically random bytes, for nonces, ids and jitter seeds.
std::string RandomBytes(std::size_t n);

}  // namespace duplex::security
