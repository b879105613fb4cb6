// The session state machine of docs/protocol.md section 6, written as data in
// machine.cpp: for each state of a connection, the events it accepts and the
// action each runs (handlers.hpp). An event is a message received on the
// connection, or the expiry of its session. Whatever a state does not list is
// answered by the catch-all: not_joined for a request that needs a session,
// unknown_type for a type that only the broker sends.
#pragma once

#include "request.hpp"

#include <charla/msg/protocol.hpp>

namespace charla::broker {

// A decoded message from the connection.
void dispatch(Request& r, msg::Message& m);
// The session of r went silent for expiry_ms.
void expire(Request& r);

}  // namespace charla::broker
