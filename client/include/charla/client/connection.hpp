// A client's link to the broker: a DEALER for commands and replies, a SUB for
// broadcasts, presence and heartbeats. It joins (or, for an observer such as
// the monitor, watches), keeps the link alive with heartbeats, notices a dead
// or restarted broker and joins again by itself, with a capped backoff, taking
// its own session over when the broker still holds it. What the user sends is
// numbered and sent again until acknowledged (delivery.hpp), so nothing typed
// is lost to a reconnection. Single-threaded: the application calls poll(), or,
// serving many connections from one loop (the web gateway), watch() and serve().
//
// A gateway serves each of its users with a Connection of their own (its own
// DEALER and session), and takes the broadcasts for all of them from one shared
// subscription: an observer with `feed` set, whose every published message the
// gateway hands to each user's connection (`shared_sub` set: no SUB of its own)
// with feed(). Each connection still judges what it is fed for itself (chat
// gaps, resends, a restarted broker), as if from a SUB of its own.
#pragma once

#include <charla/client/delivery.hpp>

#include <charla/msg/codec.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <zmq.hpp>

namespace charla::client {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Could not join at start-up: the broker refused (code set) or did not answer.
struct JoinFailed : std::runtime_error {
  JoinFailed(std::optional<msg::ErrorCode> c, const std::string& what) : std::runtime_error(what), code(c) {}
  std::optional<msg::ErrorCode> code;
};

namespace link {
struct Lost { std::string why; };          // the broker is gone or restarted; reconnecting
struct Rejoined { bool resumed = false; };  // joined again after a loss: the same session, or a new one
struct ChatGap { std::uint64_t missed; };  // broadcasts this client did not get
struct Sent { msg::Message msg; };         // the broker acknowledged a numbered Say or Whisper
struct NotSent { msg::Error error; msg::Message msg; };  // the broker refused it
struct NameTaken { std::string name; };    // someone else holds our name now: rename() or give up
}  // namespace link

using Event = std::variant<msg::Decoded, link::Lost, link::Rejoined, link::ChatGap, link::Sent, link::NotSent,
                           link::NameTaken>;

class Connection {
 public:
  struct Options {
    std::string host;
    std::uint16_t port = 8082;
    std::string name;  // empty: observer (watch, presence only)
    milliseconds timeout{5000};
    // CURVE: the broker's public key and this client's key pair (Z85); empty = plaintext.
    std::string server_key, public_key, secret_key;
    // A trusted gateway's word for its user's own address, sent in hello (protocol 4.2).
    std::string ip{};
    // No SUB of its own: what a shared subscription received comes through feed().
    bool shared_sub = false;
    // An observer (no name) whose SUB takes broadcasts too, and which hands on every
    // published message as it came (msg::Decoded), before judging it: a gateway's
    // shared subscription.
    bool feed = false;
  };

  explicit Connection(Options o);
  // Its sockets in `ctx` (shared by the many connections of a gateway), not in a context of its own.
  Connection(Options o, zmq::context_t& ctx);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Joins (or watches) and waits until the subscription is live. Throws JoinFailed.
  const msg::Welcome& start();
  // The same without waiting, for a loop that serves many connections: begin(), then
  // serve() until starting() says joined (the events so far are in what serve() gave)
  // or failed (failure() says why; the sockets are closed).
  enum class Start { pending, joined, failed };
  void begin();
  Start starting();
  const std::optional<JoinFailed>& failure() const noexcept { return start_failure_; }

  // Sends now, or queues until joined again if the link is down (at most 1000).
  void send(const msg::Message& m, std::uint64_t id = 0);
  // A Say or Whisper, numbered and kept until acknowledged (link::Sent) or
  // refused (link::NotSent), sent again after every reconnection until then.
  // Returns its number, or 0 when Delivery::kMaxUnacked are waiting already.
  std::uint64_t send_numbered(msg::Message m);
  // Nothing waits: no numbered message unacknowledged, no request queued.
  bool settled() const noexcept { return delivery_.unacked().empty() && pending_.empty(); }
  // Confirms at once the private messages received (before bye).
  void confirm_received();
  // After link::NameTaken: join again under another name.
  void rename(std::string name);

  // Waits up to max_wait for socket traffic, timers, or one of `extra` (raw fds,
  // such as stdin); appends what happened to `out`; sets revents in `extra`.
  void poll(milliseconds max_wait, std::vector<zmq::pollitem_t>& extra, std::deque<Event>& out);
  // poll() taken apart, for a loop that polls many connections at once: watch() appends
  // this connection's sockets to a poll set; after polling, serve() takes exactly those
  // items back, reads what arrived and runs the timers (call it every 50 ms or so even
  // when nothing arrived).
  std::size_t watch(std::vector<zmq::pollitem_t>& items);
  void serve(std::span<const zmq::pollitem_t> mine, std::deque<Event>& out);
  // shared_sub: a message the shared subscription received (a chat, presence, beat or shutdown).
  void feed(const msg::Message& m, std::deque<Event>& out);

  bool up() const noexcept { return state_ == State::up; }
  const std::string& name() const noexcept { return opt_.name; }
  // What the broker stamps on this client's numbered messages (its welcome says;
  // a broker that does not say stamps the client's own origin).
  std::uint64_t origin() const noexcept { return welcome_.origin != 0 ? welcome_.origin : delivery_.origin(); }
  const msg::Welcome& welcome() const noexcept { return welcome_; }
  std::string endpoint() const;

 private:
  enum class State { down, joining, up, stopped };  // stopped: our name is someone else's
  class HandshakeWatch;  // zmq::monitor_t on the DEALER: why a handshake failed

  explicit Connection(Options o, zmq::context_t* ctx);
  void open();
  void secure(zmq::socket_t& s) const;
  void close();
  void attempt(Clock::time_point now);  // new sockets, then hello (or watch)
  void watch_handshake(Clock::time_point now);
  void connect_sub();
  void send_now(const msg::Message& m, std::uint64_t id = 0);
  void forgive_stall(Clock::duration took, Clock::duration expected);
  void on_dealer(std::deque<Event>& out);
  void on_sub(std::deque<Event>& out);
  void subscription_heard(std::deque<Event>& out);
  bool on_published(msg::Message&& m, std::deque<Event>& out);  // false once the connection is lost
  void on_welcome(const msg::Welcome& w);
  void send_waiting();  // numbered messages not yet acknowledged, and requests queued while down
  // Up, and what waited from before has gone out: a new message may go straight out.
  bool ready() const noexcept { return state_ == State::up && !rejoined_; }
  void refused(const msg::Error& e, std::deque<Event>& out);  // an error in answer to hello or watch
  void lost(std::string why, std::deque<Event>& out, bool read_sub_first = false);
  void take_ack(const msg::Ack& a, std::deque<Event>& out);
  void timers(Clock::time_point now, std::deque<Event>& out);
  msg::Message join_request() const;
  milliseconds heartbeat() const noexcept { return milliseconds(welcome_.heartbeat_ms ? welcome_.heartbeat_ms : 1000); }
  milliseconds expiry() const noexcept { return milliseconds(welcome_.expiry_ms ? welcome_.expiry_ms : 5000); }

  Options opt_;
  std::unique_ptr<zmq::context_t> own_ctx_;  // when no context was given
  zmq::context_t& ctx_;
  std::optional<zmq::socket_t> dealer_, sub_;
  std::unique_ptr<HandshakeWatch> handshake_;
  unsigned handshakes_ = 0;  // each watch gets its own inproc address
  State state_ = State::down;
  msg::Welcome welcome_;
  bool sub_live_ = false;
  std::optional<link::Rejoined> rejoined_;  // told once the subscription is live again
  // While start() runs: a refusal or a failed handshake ends it with JoinFailed.
  bool starting_ = false;
  std::optional<JoinFailed> start_failure_;
  Clock::time_point start_deadline_{};
  // Liveness: an observer hears beats on SUB; a joined client also expects its
  // pongs and acknowledgements on the DEALER.
  Clock::time_point last_recv_{}, last_dealer_recv_{}, last_send_{}, last_sync_{}, last_poll_{}, last_ping_{};
  Clock::time_point next_attempt_{}, attempt_deadline_{};
  milliseconds backoff_{1000};
  std::uint64_t chat_last_ = 0;
  // Rejoined a broker that restarted: what it published before our subscription was
  // live (other users' resends among it) is a gap to report, not silence.
  bool restarted_ = false;
  std::uint64_t instance_ = 0;  // the broker's, from the last welcome
  std::string resume_;          // our session's resume token
  Delivery delivery_;
  std::deque<std::pair<msg::Message, std::uint64_t>> pending_;
  std::deque<Event> early_;  // what arrived while start() waited, for the first poll()
};

}  // namespace charla::client
