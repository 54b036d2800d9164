// OAuth 1.0a request signing (RFC 5849, HMAC-SHA1), as X uses it for user-context calls.
// Guarantees: the signature base string is built exactly as RFC 5849 §3.4.1 and X's
// "Creating a signature" page describe (parameters percent-encoded per RFC 3986, sorted by
// encoded key then value); the functions are pure, so nonce and timestamp come from the
// caller and tests can check published vectors. A JSON body is never signed (only
// form-encoded bodies are, and the caller passes those as `params`).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex::x {

using OAuthParams = std::vector<std::pair<std::string, std::string>>;

struct OAuth1Credentials {
  std::string consumer_key;
  std::string consumer_secret;
  std::string token;
  std::string token_secret;
};

// RFC 3986 percent-encoding: everything but ALPHA / DIGIT / "-" / "." / "_" / "~".
std::string OAuthPercentEncode(std::string_view s);

// METHOD&enc(base_url)&enc(sorted params). `url` may carry a query; its parameters are
// decoded and signed with `params`, and the query is left out of the base URL.
std::string OAuth1SignatureBaseString(std::string_view method, std::string_view url,
                                      const OAuthParams& params);

// base64(HMAC-SHA1(enc(consumer_secret) & enc(token_secret), base_string)).
std::string OAuth1Signature(std::string_view base_string, std::string_view consumer_secret,
                            std::string_view token_secret);

// The full `Authorization: OAuth …` header value for one request. `body_params` are the
// decoded fields of a form-encoded body (empty for JSON bodies).
std::string OAuth1AuthorizationHeader(const OAuth1Credentials& credentials, std::string_view method,
                                      std::string_view url, const OAuthParams& body_params,
                                      const std::string& nonce, const std::string& timestamp);

}  // namespace duplex::x
