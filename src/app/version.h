#pragma once

namespace duplex {
inline constexpr const char* kVersion = "0.1.0";
}
