// The store thread: the only user of the Store (store.hpp). Workers hand it
// jobs and never wait for it; it writes them in batches, one transaction per
// batch, and only then sends what depended on them (acknowledgements of stored
// broadcasts, notices about waiting private messages), through the I/O thread
// like a worker. It answers no question: the reader does (reader.hpp).
#pragma once

#include "link.hpp"
#include "names.hpp"
#include "session.hpp"
#include "shared.hpp"
#include "store.hpp"

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <zmq.hpp>

namespace charla::broker {

namespace job {
struct Chat { std::string from, text; std::uint64_t ts = 0; };           // keep a broadcast
struct Ack { std::string rid; std::uint64_t n = 0; };                     // acknowledge once stored
struct Own { OwnedName name; };                                            // a name is now someone's
struct Left { std::string folded; std::uint64_t at_ms = 0; };              // its owner left
struct Mail { WaitingMail mail; std::string to_name, sender_rid; };       // a private message waits
struct Deliver { std::shared_ptr<Session> session; };                     // its owner came back
struct Confirmed { std::string to_name; std::vector<Mailbox::Letter> letters; };  // waited ones arrived
struct Stop {};
}  // namespace job

using Job = std::variant<job::Chat, job::Ack, job::Own, job::Left, job::Mail, job::Deliver, job::Confirmed, job::Stop>;

// Jobs one worker may hand the store thread before it waits for it.
inline constexpr int kKeeperQueue = 1000;

// A worker's way to the store thread (one PUSH each; the order of one worker's jobs holds).
class KeeperQueue {
 public:
  KeeperQueue(zmq::context_t& ctx, std::uint64_t instance);
  void push(Job job);

 private:
  zmq::socket_t push_;
};

class Keeper {
 public:
  Keeper(zmq::context_t& ctx, Shared& shared, Store& store);
  void run();  // until a Stop job; then what remains is written

 private:
  void handle(Job& job);
  template <class F>
  void guarded(F&& f);
  void after_commit();  // sends what waited for the batch to be written
  void prune(std::uint64_t now_ms);
  void reply(const std::string& rid, const msg::Message& m, std::uint64_t id = 0);
  void deliver(Session& s);

  Shared& shared_;
  Store& store_;
  zmq::socket_t pull_, link_;
  Outbox out_;
  struct Pending {
    std::string rid;
    msg::Message msg;
  };
  std::vector<Pending> after_;  // to send once the batch is committed
  std::uint64_t forgotten_up_to_ = 0;  // the history's oldest kept broadcast follows it
  bool stop_ = false;
};

std::string keeper_endpoint(std::uint64_t instance);       // workers push jobs here
std::string keeper_link_endpoint(std::uint64_t instance);  // the I/O thread takes its replies here

}  // namespace charla::broker
