// Status and Result: errors at module boundaries are values, not exceptions.
// A Status carries a code that maps to an HTTP answer at the edge and a message that is
// safe to show to the caller (no internals, no secrets).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace duplex {

enum class StatusCode {
  kOk,
  kInvalidArgument,   // malformed input: 400
  kUnauthenticated,   // bad or missing signature, stale timestamp: 401
  kPermissionDenied,  // failed handshake, foreign workspace: 403
  kNotFound,          // 404
  kUnavailable,       // database or dependency not usable: 503
  kInternal,          // a bug or an unexpected failure: 500
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status Invalid(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status Forbidden(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// The HTTP status that answers a Status at the edge.
int HttpStatusFor(StatusCode code);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace duplex
