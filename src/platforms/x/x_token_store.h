// Where XUserToken keeps rotated OAuth 2.0 tokens across restarts (platforms.x.token_file),
// behind a port so the token logic is tested without a file system.
#pragma once

#include <optional>
#include <string>

namespace duplex::x {

class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // What was saved last; nullopt when nothing was saved yet.
  virtual std::optional<std::string> Load() const = 0;
  // Replaces what was saved, all or nothing; false when it could not be written.
  virtual bool Save(const std::string& content) = 0;
  // Where the tokens are kept, for log lines.
  virtual std::string Where() const = 0;
};

// A file, replaced atomically (written beside it, synced, renamed) with mode 0600: it holds
// live credentials.
class FileTokenStore final : public TokenStore {
 public:
  explicit FileTokenStore(std::string path) : path_(std::move(path)) {}
  std::optional<std::string> Load() const override;
  bool Save(const std::string& content) override;
  std::string Where() const override { return path_; }

 private:
  std::string path_;
};

}  // namespace duplex::x
