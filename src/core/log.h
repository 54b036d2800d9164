// Logging for operators: one line per event, text or JSON, to stderr by default.
// Fields are key/value pairs; callers never pass bodies or secrets. Thread-safe.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace duplex::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

// A field's value: text, or a number or boolean, which JSON logs write as a JSON number or
// boolean (`"status":200`, `"clean":true`) so that log shippers can compare them.
class Value {
 public:
  Value(std::string text) : text_(std::move(text)) {}
  Value(const char* text) : text_(text) {}
  Value(bool b) : text_(b ? "true" : "false"), typed_(true) {}
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T n) : text_(std::to_string(n)), typed_(true) {}
  Value(double d);

  const std::string& text() const { return text_; }
  bool typed() const { return typed_; }  // a number or boolean: never quoted in JSON

 private:
  std::string text_;
  bool typed_ = false;
};

using Field = std::pair<std::string, Value>;
using Fields = std::vector<Field>;

bool ParseLevel(const std::string& s, Level& out);
bool ParseFormat(const std::string& s, Format& out);

void SetLevel(Level level);
void SetFormat(Format format);
// Replaces the output (default: stderr). Tests capture lines with it.
void SetSink(std::function<void(const std::string& line)> sink);
void ResetSink();

void Write(Level level, const std::string& message, const Fields& fields = {});
inline void Debug(const std::string& m, const Fields& f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(const std::string& m, const Fields& f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(const std::string& m, const Fields& f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(const std::string& m, const Fields& f = {}) {
  Write(Level::kError, m, f);
}

}  // namespace duplex::log
