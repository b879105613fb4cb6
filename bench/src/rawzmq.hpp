// The reference bound: libzmq with no broker. F and Fp: an XPUB (a PUB that
// also reports subscriptions, so start-up can wait for every subscriber) in
// its own context, fanning out to N SUBs; D: a PAIR ping-pong over TCP.
// And zmq-relay, D only: the same ping-pong between two DEALERs through a ROUTER
// that forwards by the body's first byte and does nothing else, the floor for any
// ZeroMQ broker's private message.
#pragma once

#include "system.hpp"

namespace charla::bench {

std::unique_ptr<System> make_rawzmq(const ClientConfig& clients);
std::unique_ptr<System> make_zmqrelay(const ClientConfig& clients);

}  // namespace charla::bench
