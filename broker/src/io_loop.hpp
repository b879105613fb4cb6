// The I/O thread's loop: the only thread that uses the ROUTER and PUB sockets
// (Broker::Impl in broker.cpp creates and owns them) and the one inproc PAIR
// per worker (which it owns). It never decodes and never blocks: it routes
// clients' frames to the worker that owns the client, sends workers' replies
// out of the ROUTER, and publishes in sequence order, a burst under one topic
// as one frame.
#pragma once

#include "clock.hpp"
#include "shared.hpp"
#include "zap.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

namespace charla::broker {

// Publishes each stream's messages in the order of their sequence numbers,
// holding back any that arrive (from another worker) before their predecessor.
class Sequencer {
 public:
  template <class Publish>
  void push(std::uint64_t seq, zmq::message_t frame, Publish&& publish) {
    if (seq != next_) {
      held_.emplace(seq, std::move(frame));
      return;
    }
    publish(frame);
    ++next_;
    while (!held_.empty() && held_.begin()->first == next_) {
      publish(held_.begin()->second);
      held_.erase(held_.begin());
      ++next_;
    }
  }
  std::uint64_t last() const noexcept { return next_ - 1; }

 private:
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, zmq::message_t> held_;
};

class IoLoop {
 public:
  IoLoop(zmq::context_t& ctx, Shared& shared, zmq::socket_t& router, zmq::socket_t& pub, int stop_fd,
         ZapHandler* zap);
  void run();       // until stop_fd is readable; then calls shutdown()
  void shutdown();  // tells the clients, then stops the workers

 private:
  struct Inbound {
    zmq::message_t rid, ip, body;
    zmq::message_t key;    // the connection's CURVE public key in Z85 (its ZAP user id), empty without CURVE
    bool several = false;  // a message of several frames: body is empty
  };
  struct Waiting {  // replies for one connection that the ROUTER could not take yet
    std::deque<zmq::message_t> frames;
    std::size_t bytes = 0;
  };
  enum class Sent { yes, full, gone };
  void from_clients();
  bool read_client(Inbound& in);
  void to_worker(std::size_t i, Inbound&& in);
  bool try_send(std::size_t i, Inbound& in);
  void from_worker(std::size_t i);
  void send_to_client(zmq::message_t& rid, zmq::message_t& body);
  Sent try_send(const std::string& peer, zmq::message_t& body);
  void wait_for_room(const std::string& peer, Waiting& w, zmq::message_t& body);
  void send_waiting();
  void cut(const std::string& peer, const char* why);
  void publish(zmq::message_t& frame, std::string_view topic);  // topic: one of msg::kTopic*
  void flush_published();
  void beat();

  Shared& shared_;
  zmq::socket_t& router_;
  zmq::socket_t& pub_;
  int stop_fd_;
  ZapHandler* zap_;  // null without an allow-list
  std::vector<zmq::socket_t> links_;
  std::vector<std::deque<Inbound>> backlog_;  // per worker, while its pipe is full
  std::size_t backlogged_ = 0;                // workers with a backlog
  Sequencer chat_, presence_;
  std::unordered_map<std::string, Waiting> waiting_;          // by routing id
  std::unordered_map<std::string, Clock::time_point> cut_;   // cut-off connections: when last heard
  // Publications not sent yet: consecutive ones under one topic leave as one frame.
  std::string_view topic_;   // theirs (one of msg::kTopic*)
  zmq::message_t first_;     // the first, as the worker encoded it
  std::string batch_;        // from the second on: the topic once, then every body
  std::size_t pending_ = 0;
  Clock::time_point last_beat_{}, next_beat_{};
};

}  // namespace charla::broker
