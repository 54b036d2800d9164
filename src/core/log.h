// Logging for operators: one line per event, text or JSON, to stderr by default.
// Fields are key/value pairs; callers never pass bodies or secrets. Thread-safe.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace duplex::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

using Field = std::pair<std::string, std::string>;
using Fields = std::vector<Field>;

bool ParseLevel(const std::string& s, Level& out);
bool ParseFormat(const std::string& s, Format& out);

void SetLevel(Level level);
void SetFormat(Format format);
// Replaces the output (default: stderr). Tests capture lines with it.
void SetSink(std::function<void(const std::string& line)> sink);
void ResetSink();

void Write(Level level, const std::string& message, const Fields& fields = {});
inline void Debug(const std::string& m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(const std::string& m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(const std::string& m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(const std::string& m, const Fields& f = {}) { Write(Level::kError, m, f); }

}  // namespace duplex::log
