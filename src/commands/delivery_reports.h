// What a platform's delivery reports change: each failed report of a reply the platform had
// accepted marks that reply failed and tells its thread why (Store::RecordDeliveryFailures),
// all in one transaction. Reports of success change nothing.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "chat/chat.h"
#include "core/clock.h"
#include "core/status.h"
#include "platforms/platform.h"
#include "storage/store.h"

namespace duplex {

// Ok once committed (then `wake_delivery` runs, for the notices); Unavailable when the
// database fails, or when a report may name a reply whose id is not stored yet, so the
// platform sends the webhook again. A report naming no reply of duplex's is logged and
// dropped.
Status RecordDeliveryReports(Store& store, const ChatDialect& dialect, const std::string& platform,
                             const std::vector<DeliveryReport>& reports, UnixMs now,
                             const std::function<void()>& wake_delivery = {});

}  // namespace duplex
