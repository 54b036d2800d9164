#include "support/test_util.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/log.h"

namespace duplex::test {

LogCapture::LogCapture() {
  log::SetSink([this](const std::string& line) {
    std::lock_guard lock(mu_);
    lines_ += line + "\n";
  });
}

LogCapture::~LogCapture() {
  log::ResetSink();
}

std::string LogCapture::Text() const {
  std::lock_guard lock(mu_);
  return lines_;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/duplex-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool WaitUntil(const std::function<bool()>& done, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

}  // namespace duplex::test
