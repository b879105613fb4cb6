// The store thread: the only user of the Store (store.hpp). Workers hand it
// jobs and never wait for it; it writes them in batches, one transaction per
// batch, and only once the batch is in the file does it publish its broadcasts
// and send what depended on them (acknowledgements, notices about waiting private
// messages), through the I/O thread like a worker. A batch that cannot be written
// is refused whole (not_stored): what was not stored is never published nor
// acknowledged (docs/protocol.md 2.7). It answers no question:
// the reader does (reader.hpp).
#pragma once

#include "link.hpp"
#include "names.hpp"
#include "session.hpp"
#include "shared.hpp"
#include "store.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <zmq.hpp>

namespace charla::broker {

namespace job {
// Keep a broadcast, then publish it. origin: the sender's published origin (origin.hpp).
struct Chat { std::string rid, from, text; std::uint64_t ts = 0, origin = 0, n = 0; };
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
  template <class F>
  void write(F&& f);  // a write of this batch, unless the batch has failed already
  void end_batch();   // commits; then publishes and sends what waited, or refuses it all
  void refuse(const std::string& rid, Session* sender, const msg::Error& e);
  std::uint64_t stored_n(std::uint64_t origin) const;
  void check_file(std::chrono::steady_clock::time_point now, bool now_please = false);
  void prune(std::uint64_t now_ms);
  void reply(const std::string& rid, const msg::Message& m, std::uint64_t id = 0);
  void deliver(Session& s);

  Shared& shared_;
  Store& store_;
  zmq::socket_t pull_, link_;
  Outbox out_;
  // The batch being written.
  std::vector<job::Chat> chats_;                            // to publish once stored
  std::vector<job::Mail> mails_;                            // private messages that wait, in this batch
  std::unordered_map<std::uint64_t, std::uint64_t> batch_last_;  // origin -> highest n in this batch
  struct Pending {  // sent after the batch
    std::string rid;
    msg::Message msg;
    bool stored_only;  // only if the batch was stored (else its sender is refused instead)
  };
  std::vector<Pending> after_;
  std::optional<std::string> failed_;  // why this batch cannot be written
  // What is in the file.
  std::unordered_map<std::uint64_t, std::uint64_t> last_n_;  // origin -> highest n stored
  std::string gone_;  // the file was deleted or replaced: nothing is written any more
  std::uint64_t refused_ = 0;  // messages refused since the last log line about it
  std::uint64_t failures_ = 0;  // reads or indexing that failed since the last log line about it
  std::chrono::steady_clock::time_point next_file_check_{}, next_refusal_log_{}, next_failure_log_{};
  std::uint64_t forgotten_up_to_ = 0;  // the history's oldest kept broadcast follows it
  bool stop_ = false;
};

std::string keeper_endpoint(std::uint64_t instance);       // workers push jobs here
std::string keeper_link_endpoint(std::uint64_t instance);  // the I/O thread takes its replies here

}  // namespace charla::broker
