// Simulated charla clients, many per thread: each a DEALER (commands) and a SUB
// (broadcasts), joined the way client/src/connection.cpp joins: hello, wait
// for the welcome, connect the SUB, send sync until anything arrives on it.
#pragma once

#include "payload.hpp"
#include "procs.hpp"

#include <charla/client/delivery.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace charla::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // the broker's ROUTER port
};

struct BrokerInfo {
  std::uint16_t pub_port = 0;
  std::chrono::milliseconds heartbeat{1000};
};

struct Member {
  std::string name;  // empty: an observer (watch), like the monitor
  std::optional<zmq::socket_t> dealer, sub;
  bool welcomed = false, live = false;
  std::int64_t hello_ns = 0, welcome_ns = 0;
  Clock::time_point last_send{};
  std::uint64_t origin = 0;  // sent in hello when not 0: this client numbers its says and whispers
  // The client library's bookkeeping of docs/protocol.md 2.6 (charla_delivery.hpp),
  // for members that send says or whispers or receive private messages; null for the others.
  std::unique_ptr<client::Delivery> delivery;
  std::uint64_t errors = 0;   // error replies seen after joining
  std::uint64_t refused = 0;  // of them, refusals of this member's numbered messages
  std::string last_error;     // the code of the last one
  std::uint64_t window_full = 0;  // numbered messages that had to wait for an ack first
};

// Joins every member: hello (or watch), welcome, SUB connected with `topics`
// plus "sys", sync until the SUB is live; then drops "sys" unless `keep_sys`,
// so later joiners' sync beats do not reach it. Throws std::runtime_error on a
// refusal or at the deadline.
BrokerInfo join(zmq::context_t& ctx, const Endpoint& at, std::span<Member> members,
                const std::vector<std::string>& topics, bool keep_sys, Clock::time_point deadline);

// Takes whatever each member's DEALER has received (pongs, acks; errors are
// counted; got sent when due), and sends a ping from each that has sent
// nothing for `every`.
void keepalive(std::span<Member> members, std::chrono::milliseconds every, Clock::time_point now);

// Says bye for every joined member (after got, for what it received) and closes its sockets.
void leave(std::span<Member> members);

// Sends one encoded message on a member's DEALER (blocking as ZeroMQ pushes back).
void send(Member& m, zmq::message_t&& frame);

}  // namespace charla::bench
