// nats-server under test, from Debian's package, on a free loopback port, with
// limits that make it keep a slow subscriber rather than cut it off
// (max_pending 1 GB, write_deadline 60 s). Clients: cnats (libnats), with the
// subscribers on an epoll loop of the bench's (nats_loop.hpp).
#pragma once

#include "system.hpp"

namespace charla::bench {

// Throws if nats-server is not installed or does not start.
std::unique_ptr<System> make_nats(const ClientConfig& clients, const std::string& work_dir);

}  // namespace charla::bench
