// mosquitto under test (MQTT 3.1.1, QoS 0), from Debian's package, on a free
// loopback port, configured to queue rather than drop (max_queued_messages 0,
// max_queued_bytes 0, max_inflight_messages 0). Clients: libmosquitto, many per
// thread on the bench's own epoll loop (no mosquitto_loop_start thread each).
#pragma once

#include "system.hpp"

namespace charla::bench {

// Throws if mosquitto is not installed or does not start.
std::unique_ptr<System> make_mqtt(const ClientConfig& clients, const std::string& work_dir);

}  // namespace charla::bench
