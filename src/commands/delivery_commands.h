// Admin commands over the outbox: `deadletters` lists deliveries that gave up (dead) or
// whose outcome is unknown; `retry <delivery-id>` sends one again on purpose.
#pragma once

namespace duplex {

class CommandService;
void RegisterDeliveryCommands(CommandService& service);

}  // namespace duplex
