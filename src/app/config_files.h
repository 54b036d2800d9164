// The files a valid config names, loaded as `serve` loads them: the TLS certificate and key
// (and that they belong together), every CA file, the directory of X's token file. Run by
// check-config, and by serve before it creates or opens anything.
#pragma once

#include "app/config.h"
#include "core/status.h"

namespace duplex {

// Every problem, one per line, as "<json.path>: cannot load 'FILE': why".
Status CheckConfigFiles(const Config& config);

}  // namespace duplex
