// What the others see of a sender (docs/protocol.md 2.6). A client picks a random
// `origin` for its run and tells only the broker, in hello. The broker stamps its
// numbered chat and private messages with a number derived from it, through a
// one-way function: receivers recognise a resend by (that number, n), and, since
// nobody can go back from what is published to the origin that yields it, nobody
// can send under somebody else's number and make the others drop their messages.
// Deterministic, so the same client keeps the same number across broker restarts.
#pragma once

#include <cstdint>

namespace charla::broker {

// 0 for 0 (no origin); otherwise never 0.
std::uint64_t public_origin(std::uint64_t origin) noexcept;

}  // namespace charla::broker
