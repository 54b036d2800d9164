#include "platforms/x/x_oauth1.h"

#include <algorithm>

#include "core/text.h"
#include "security/crypto.h"

namespace duplex::x {

std::string OAuthPercentEncode(std::string_view s) {
  // text::UrlEncode keeps exactly RFC 3986's unreserved set and uses upper-case hex.
  return text::UrlEncode(s);
}

std::string OAuth1SignatureBaseString(std::string_view method, std::string_view url,
                                      const OAuthParams& params) {
  std::string base_url(url);
  OAuthParams all = params;
  if (auto q = base_url.find('?'); q != std::string::npos) {
    std::string query = base_url.substr(q + 1);
    base_url.erase(q);
    for (const auto& pair : text::Split(query, '&')) {
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      all.emplace_back(text::UrlDecode(pair.substr(0, eq)),
                       eq == std::string::npos ? "" : text::UrlDecode(pair.substr(eq + 1)));
    }
  }
  if (auto hash = base_url.find('#'); hash != std::string::npos) base_url.erase(hash);

  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(all.size());
  for (const auto& [k, v] : all) encoded.emplace_back(OAuthPercentEncode(k), OAuthPercentEncode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string param_string;
  for (const auto& [k, v] : encoded) {
    if (!param_string.empty()) param_string.push_back('&');
    param_string += k + "=" + v;
  }
  std::string upper(method);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper + "&" + OAuthPercentEncode(base_url) + "&" + OAuthPercentEncode(param_string);
}

std::string OAuth1Signature(std::string_view base_string, std::string_view consumer_secret,
                            std::string_view token_secret) {
  const std::string key =
      OAuthPercentEncode(consumer_secret) + "&" + OAuthPercentEncode(token_secret);
  return security::Base64Encode(security::HmacSha1(key, base_string));
}

std::string OAuth1AuthorizationHeader(const OAuth1Credentials& credentials, std::string_view method,
                                      std::string_view url, const OAuthParams& body_params,
                                      const std::string& nonce, const std::string& timestamp) {
  OAuthParams oauth = {{"oauth_consumer_key", credentials.consumer_key},
                       {"oauth_nonce", nonce},
                       {"oauth_signature_method", "HMAC-SHA1"},
                       {"oauth_timestamp", timestamp},
                       {"oauth_token", credentials.token},
                       {"oauth_version", "1.0"}};
  OAuthParams signed_params = oauth;
  signed_params.insert(signed_params.end(), body_params.begin(), body_params.end());
  const std::string signature =
      OAuth1Signature(OAuth1SignatureBaseString(method, url, signed_params),
                      credentials.consumer_secret, credentials.token_secret);
  oauth.emplace_back("oauth_signature", signature);
  std::sort(oauth.begin(), oauth.end());
  std::string header = "OAuth ";
  for (std::size_t i = 0; i < oauth.size(); ++i) {
    if (i) header += ", ";
    header +=
        OAuthPercentEncode(oauth[i].first) + "=\"" + OAuthPercentEncode(oauth[i].second) + "\"";
  }
  return header;
}

}  // namespace duplex::x
