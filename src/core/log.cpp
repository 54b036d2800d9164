#include "core/log.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/text.h"

namespace duplex::log {
namespace {

struct State {
  std::mutex mu;
  Level level = Level::kInfo;
  Format format = Format::kText;
  std::function<void(const std::string&)> sink;
};

State& GetState() {
  static State state;
  return state;
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string Timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(ts.tv_nsec / 1000000));
  return buf;
}

bool NeedsQuotes(const std::string& v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

Value::Value(double d) {
  if (!std::isfinite(d)) {
    text_ = std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
    return;  // JSON has no such numbers: these stay text
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", d);
  text_ = buf;
  typed_ = true;
}

bool ParseLevel(const std::string& s, Level& out) {
  if (s == "debug")
    out = Level::kDebug;
  else if (s == "info")
    out = Level::kInfo;
  else if (s == "warn" || s == "warning")
    out = Level::kWarn;
  else if (s == "error")
    out = Level::kError;
  else
    return false;
  return true;
}

bool ParseFormat(const std::string& s, Format& out) {
  if (s == "text")
    out = Format::kText;
  else if (s == "json")
    out = Format::kJson;
  else
    return false;
  return true;
}

void SetLevel(Level level) {
  std::lock_guard lock(GetState().mu);
  GetState().level = level;
}

void SetFormat(Format format) {
  std::lock_guard lock(GetState().mu);
  GetState().format = format;
}

void SetSink(std::function<void(const std::string&)> sink) {
  std::lock_guard lock(GetState().mu);
  GetState().sink = std::move(sink);
}

void ResetSink() {
  SetSink(nullptr);
}

void Write(Level level, const std::string& message, const Fields& fields) {
  State& st = GetState();
  std::lock_guard lock(st.mu);
  if (level < st.level) return;
  std::string line;
  if (st.format == Format::kJson) {
    line = "{\"time\":\"" + Timestamp() + "\",\"level\":\"" + LevelName(level) +
           "\",\"message\":" + text::JsonQuote(message);
    for (const auto& [k, v] : fields) {
      line += "," + text::JsonQuote(k) + ":" + (v.typed() ? v.text() : text::JsonQuote(v.text()));
    }
    line += "}";
  } else {
    line = Timestamp() + " " + LevelName(level) + " " + message;
    for (const auto& [k, v] : fields) {
      line += " " + k + "=" + (NeedsQuotes(v.text()) ? text::JsonQuote(v.text()) : v.text());
    }
  }
  if (st.sink) {
    st.sink(line);
  } else {
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace duplex::log
