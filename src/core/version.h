// duplex's version ("0.1.0"), for --version and the User-Agent duplex sends. Written once, in
// CMakeLists.txt's project(VERSION), and compiled into version.cpp.
#pragma once

namespace duplex {

const char* Version();

}  // namespace duplex
