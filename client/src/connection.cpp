#include <charla/client/connection.hpp>

#include <charla/msg/keys.hpp>
#include <charla/msg/retry.hpp>

#include <algorithm>
#include <cstring>
#include <random>

namespace charla::client {
namespace {

constexpr milliseconds kSyncEvery{50};
constexpr milliseconds kHandshakeGrace{1000};  // a vague handshake failure waits this long for a clearer one
constexpr milliseconds kMaxBackoff{5000};
constexpr std::size_t kMaxPending = 1000;

enum class Frame { none, one, several };

// Takes the next message waiting on s. A message of several frames (never from
// a charla broker) is drained whole rather than left to desynchronise the socket.
Frame recv_frame(zmq::socket_t& s, zmq::message_t& frame) {
  const auto recv = [&](zmq::message_t& m, zmq::recv_flags f) {
    return msg::retry_interrupted([&] { return s.recv(m, f); });
  };
  if (!recv(frame, zmq::recv_flags::dontwait)) return Frame::none;
  if (!frame.more()) return Frame::one;
  zmq::message_t extra;
  do {
    (void)recv(extra, zmq::recv_flags::none);
  } while (extra.more());
  return Frame::several;
}

// What the user is shown when the broker sends something this client cannot read.
msg::Decoded invalid(msg::ErrorCode code, const std::string& detail) {
  return msg::Decoded{msg::Error{code, "mensaje inválido del servidor: " + detail, ""}, 0};
}

// The next message from the DEALER; a malformed one becomes an error.
std::optional<msg::Decoded> read_one(zmq::socket_t& s) {
  zmq::message_t frame;
  switch (recv_frame(s, frame)) {
    case Frame::none: return std::nullopt;
    case Frame::several: return invalid(msg::ErrorCode::bad_frame, "varios frames en un mensaje");
    case Frame::one: break;
  }
  auto d = msg::decode(frame.data(), frame.size());
  if (!d) return invalid(d.error().code, d.error().detail);
  return std::move(d.value());
}

// This client's origin: random, never 0, the same for all its reconnections.
std::uint64_t new_origin() {
  std::random_device rd;
  return ((static_cast<std::uint64_t>(rd()) << 32) | rd()) | 1;
}

}  // namespace

// Watches the DEALER's handshakes (cppzmq's socket monitor), so that a refused
// key or a plaintext/CURVE mix-up is a clear error rather than a silent wait.
class Connection::HandshakeWatch : public zmq::monitor_t {
 public:
  struct Failure {
    std::string why;
    bool certain;  // false: the broker hung up without saying why; a retry may say more
    Clock::time_point since{};
  };

  HandshakeWatch(zmq::socket_t& dealer, const std::string& address, const Options& opt) : opt_(opt) {
    init(dealer, address,
         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  }
  // The clearest failure seen so far, if any.
  const std::optional<Failure>& failure() {
    while (check_event(0)) {
    }
    return failure_;
  }

 private:
  bool curve() const { return !opt_.server_key.empty(); }
  void seen(Failure f) {
    if (failure_ && (failure_->certain || !f.certain)) return;  // keep the first, unless this one is clearer
    f.since = Clock::now();
    failure_ = std::move(f);
  }
  void on_event_handshake_failed_auth(const zmq_event_t&, const char*) override {
    seen({"el servidor rechazó la clave de este cliente (no está autorizada); pide que añadan tu clave pública " +
              opt_.public_key,
          true});
  }
  void on_event_handshake_failed_protocol(const zmq_event_t& e, const char* addr) override {
    if (e.value != ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) return on_event_handshake_failed_no_detail(e, addr);
    seen({curve() ? "el servidor no usa cifrado CURVE: conecta sin --server-key"
                  : "el servidor exige cifrado CURVE: usa --server-key con su clave pública",
          true});
  }
  void on_event_handshake_failed_no_detail(const zmq_event_t&, const char*) override {
    seen({curve() ? "el servidor cortó el saludo cifrado: o la --server-key no es la suya, o no usa cifrado, o tu "
                    "clave no está autorizada allí (tu clave pública: " + opt_.public_key + ")"
                  : "el servidor cerró la conexión durante el saludo (¿exige cifrado? usa --server-key)",
          false});
  }

  const Options& opt_;
  std::optional<Failure> failure_;
};

Connection::Connection(Options o) : Connection(std::move(o), nullptr) {}
Connection::Connection(Options o, zmq::context_t& ctx) : Connection(std::move(o), &ctx) {}
Connection::Connection(Options o, zmq::context_t* ctx)
    : opt_(std::move(o)),
      own_ctx_(ctx != nullptr ? nullptr : std::make_unique<zmq::context_t>(1)),
      ctx_(ctx != nullptr ? *ctx : *own_ctx_),
      delivery_(new_origin()) {}
Connection::~Connection() { close(); }

std::string Connection::endpoint() const { return "tcp://" + opt_.host + ":" + std::to_string(opt_.port); }

msg::Message Connection::join_request() const {
  if (opt_.name.empty()) return msg::Watch{};
  return msg::Hello{opt_.name, resume_, delivery_.origin(), opt_.ip};
}

void Connection::secure(zmq::socket_t& s) const {
  if (opt_.server_key.empty()) return;
  s.set(zmq::sockopt::curve_serverkey, msg::z85_to_binary(opt_.server_key));
  s.set(zmq::sockopt::curve_publickey, msg::z85_to_binary(opt_.public_key));
  s.set(zmq::sockopt::curve_secretkey, msg::z85_to_binary(opt_.secret_key));
}

void Connection::open() {
  close();
  dealer_.emplace(ctx_, zmq::socket_type::dealer);
  secure(*dealer_);
  dealer_->set(zmq::sockopt::linger, 500);
  dealer_->set(zmq::sockopt::reconnect_ivl, 100);
  dealer_->set(zmq::sockopt::reconnect_ivl_max, 1000);
  // Unique in the context, which many connections may share (a gateway's).
  const auto watch_at = "inproc://charla-handshake-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "-" +
                        std::to_string(++handshakes_);
  handshake_ = std::make_unique<HandshakeWatch>(*dealer_, watch_at, opt_);
  try {
    dealer_->connect(endpoint());
  } catch (const zmq::error_t& e) {
    throw JoinFailed(std::nullopt, "dirección no válida '" + opt_.host + ":" + std::to_string(opt_.port) + "': " +
                                       e.what());
  }
}

void Connection::close() {
  handshake_.reset();
  if (sub_) sub_->set(zmq::sockopt::linger, 0);
  sub_.reset();
  if (dealer_ && state_ != State::up) dealer_->set(zmq::sockopt::linger, 0);
  dealer_.reset();
  sub_live_ = false;
}

void Connection::connect_sub() {
  sub_.emplace(ctx_, zmq::socket_type::sub);
  secure(*sub_);
  sub_->set(zmq::sockopt::rcvhwm, msg::kPubQueueFrames);  // as many frames as the broker queues for us
  if (!opt_.name.empty() || opt_.feed) sub_->set(zmq::sockopt::subscribe, msg::kTopicChat);
  sub_->set(zmq::sockopt::subscribe, msg::kTopicPresence);
  sub_->set(zmq::sockopt::subscribe, msg::kTopicSys);
  sub_->connect("tcp://" + opt_.host + ":" + std::to_string(welcome_.pub_port));
  sub_live_ = false;
  last_sync_ = {};
}

// The first join runs the same state machine as every later one (down ->
// joining -> up, then the subscription made live); only a refusal or a failed
// handshake ends it here instead of being retried.
void Connection::begin() {
  start_deadline_ = Clock::now() + opt_.timeout;
  starting_ = true;
  start_failure_.reset();
  state_ = State::down;
  next_attempt_ = Clock::now();
  backoff_ = opt_.timeout;  // one attempt, as long as the whole timeout
}

Connection::Start Connection::starting() {
  if (!starting_) return start_failure_ ? Start::failed : Start::joined;
  if (state_ == State::up && sub_live_ && !start_failure_) {
    starting_ = false;
    backoff_ = milliseconds(1000);
    return Start::joined;
  }
  if (!start_failure_ && Clock::now() >= start_deadline_) {
    start_failure_ = JoinFailed(
        std::nullopt, state_ == State::up
                          ? "no llega la difusión del servidor (puerto " + std::to_string(welcome_.pub_port) +
                                "); ¿un cortafuegos?"
                          : "el servidor " + opt_.host + ":" + std::to_string(opt_.port) +
                                " no responde (¿está en marcha? ¿es el puerto correcto?)");
  }
  if (!start_failure_) return Start::pending;
  starting_ = false;
  backoff_ = milliseconds(1000);
  close();
  state_ = State::down;
  return Start::failed;
}

const msg::Welcome& Connection::start() {
  begin();
  std::vector<zmq::pollitem_t> none;
  for (;;) {
    switch (starting()) {
      case Start::joined: return welcome_;
      case Start::failed: throw *start_failure_;
      case Start::pending: break;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(start_deadline_ - Clock::now());
    poll(std::clamp(left, milliseconds(0), kSyncEvery), none, early_);
  }
}

void Connection::send_now(const msg::Message& m, std::uint64_t id) {
  auto frame = msg::encode(m, id);
  (void)msg::retry_interrupted([&] { return dealer_->send(frame, zmq::send_flags::dontwait); });
  last_send_ = Clock::now();
}

void Connection::send(const msg::Message& m, std::uint64_t id) {
  if (ready()) return send_now(m, id);
  if (pending_.size() < kMaxPending) pending_.emplace_back(m, id);
}

std::uint64_t Connection::send_numbered(msg::Message m) {
  const auto n = delivery_.number(m);
  if (n != 0 && ready()) send_now(m);
  return n;  // while down, it goes out with the others after the next welcome
}

void Connection::confirm_received() {
  if (state_ != State::up) return;
  if (const auto dseq = delivery_.got_due(Clock::now(), true)) send_now(msg::Got{*dseq});
}

void Connection::rename(std::string name) {
  opt_.name = std::move(name);
  resume_.clear();
  state_ = State::down;
  next_attempt_ = Clock::now();
  backoff_ = milliseconds(1000);
}

void Connection::poll(milliseconds max_wait, std::vector<zmq::pollitem_t>& extra, std::deque<Event>& out) {
  if (&out != &early_) {
    for (; !early_.empty(); early_.pop_front()) out.push_back(std::move(early_.front()));
  }
  // A process stopped for a while (SIGSTOP, a laptop's sleep) heard nothing because it
  // listened to nothing: that time does not count against the broker. What arrived
  // meanwhile is read before the link is judged.
  if (last_poll_ != Clock::time_point{}) forgive_stall(Clock::now() - last_poll_, max_wait);
  std::vector<zmq::pollitem_t> items;
  items.reserve(2 + extra.size());
  const std::size_t mine = watch(items);
  items.insert(items.end(), extra.begin(), extra.end());

  // Wake for the next timer: heartbeat, sync, liveness, handshake, or reconnect attempt.
  const auto timer = state_ == State::up ? (sub_live_ ? heartbeat() / 2 : kSyncEvery) : milliseconds(100);
  const auto wait = std::min(max_wait, timer);
  const auto polled = Clock::now();
  try {
    zmq::poll(items.data(), items.size(), wait);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    for (auto& it : items) it.revents = 0;
  }
  forgive_stall(Clock::now() - polled, wait);
  for (std::size_t i = 0; i < extra.size(); ++i) extra[i].revents = items[mine + i].revents;
  serve(std::span<const zmq::pollitem_t>(items.data(), mine), out);
  last_poll_ = Clock::now();
}

std::size_t Connection::watch(std::vector<zmq::pollitem_t>& items) {
  const auto before = items.size();
  if (dealer_) items.push_back({dealer_->handle(), 0, ZMQ_POLLIN, 0});
  if (sub_) items.push_back({sub_->handle(), 0, ZMQ_POLLIN, 0});
  return items.size() - before;
}

void Connection::serve(std::span<const zmq::pollitem_t> mine, std::deque<Event>& out) {
  // The items are those watch() gave, for the sockets of that moment: match them by handle.
  bool dealer_ready = false, sub_ready = false;
  for (const auto& it : mine) {
    if (!(it.revents & ZMQ_POLLIN)) continue;
    if (dealer_ && it.socket == dealer_->handle()) dealer_ready = true;
    if (sub_ && it.socket == sub_->handle()) sub_ready = true;
  }
  if (dealer_ready) on_dealer(out);
  if (sub_ready && sub_) on_sub(out);
  timers(Clock::now(), out);
}

// Something came on the subscription, ours or the shared one: it is live, and a
// rejoin that waited for that is told, and what waited is sent.
void Connection::subscription_heard(std::deque<Event>& out) {
  last_recv_ = Clock::now();
  sub_live_ = true;
  if (rejoined_) {
    out.emplace_back(*rejoined_);
    rejoined_.reset();
    send_waiting();
  }
}

void Connection::feed(const msg::Message& m, std::deque<Event>& out) {
  // As a SUB of its own would: nothing before the welcome, nothing while down.
  if (!opt_.shared_sub || state_ != State::up) return;
  subscription_heard(out);
  (void)on_published(msg::Message(m), out);
}

// `took` for something that should have taken at most `expected`: anything
// beyond a heartbeat more is time the process was stopped, not the broker silent.
void Connection::forgive_stall(Clock::duration took, Clock::duration expected) {
  if (took <= expected + heartbeat()) return;
  last_recv_ += took - expected;
  last_dealer_recv_ += took - expected;
}

void Connection::on_dealer(std::deque<Event>& out) {
  while (dealer_) {
    auto d = read_one(*dealer_);
    if (!d) return;
    last_recv_ = last_dealer_recv_ = Clock::now();
    if (std::holds_alternative<msg::Pong>(d->msg)) continue;
    if (auto* w = std::get_if<msg::Welcome>(&d->msg)) {
      if (state_ == State::joining) on_welcome(*w);
      continue;
    }
    if (auto* a = std::get_if<msg::Ack>(&d->msg)) {
      take_ack(*a, out);
      continue;
    }
    if (auto* e = std::get_if<msg::Error>(&d->msg)) {
      if (state_ == State::joining) return refused(*e, out);
      if (e->code == msg::ErrorCode::not_joined && !opt_.name.empty()) return lost("la sesión se perdió", out, true);
      if (e->n != 0) {
        if (auto o = delivery_.refused(e->n)) {
          out.emplace_back(link::NotSent{std::move(*e), std::move(o->msg)});
          continue;
        }
      }
    }
    if (auto* p = std::get_if<msg::Private>(&d->msg); p != nullptr && !delivery_.fresh(*p)) continue;
    out.emplace_back(std::move(*d));
  }
}

void Connection::take_ack(const msg::Ack& a, std::deque<Event>& out) {
  for (auto& o : delivery_.acked(a.n)) out.emplace_back(link::Sent{std::move(o.msg)});
}

void Connection::refused(const msg::Error& e, std::deque<Event>& out) {
  if (starting_) {
    start_failure_ = JoinFailed(e.code, e.text);
    return;
  }
  close();
  // With our resume token, name_taken means the name is somebody else's now: retrying cannot help.
  if (e.code == msg::ErrorCode::name_taken && !resume_.empty()) {
    state_ = State::stopped;
    out.emplace_back(link::NameTaken{opt_.name});
    return;
  }
  state_ = State::down;  // e.g. the broker is full: try again later
  next_attempt_ = Clock::now() + backoff_;
}

void Connection::on_sub(std::deque<Event>& out) {
  zmq::message_t frame;
  while (sub_) {
    const auto got = recv_frame(*sub_, frame);
    if (got == Frame::none) return;
    subscription_heard(out);
    if (got == Frame::several) {
      out.emplace_back(invalid(msg::ErrorCode::bad_frame, "varios frames en un mensaje publicado"));
      continue;
    }
    auto r = msg::decode_published(frame.data(), frame.size());
    if (!r) {
      out.emplace_back(invalid(r.error().code, r.error().detail));
      continue;
    }
    for (auto& m : r.value()) {  // one frame may carry several messages of its topic
      if (!on_published(std::move(m), out)) return;
    }
  }
}

bool Connection::on_published(msg::Message&& m, std::deque<Event>& out) {
  // A gateway's shared subscription hands everything on as it came; the connections
  // it feeds judge it for themselves.
  if (opt_.feed) out.emplace_back(msg::Decoded{m, 0});
  if (auto* b = std::get_if<msg::Beat>(&m)) {
    if (b->instance != welcome_.instance) {
      lost("el servidor se reinició", out);
      return false;
    }
    if (!opt_.name.empty()) {
      if ((chat_last_ != 0 || restarted_) && b->cseq > chat_last_) out.emplace_back(link::ChatGap{b->cseq - chat_last_});
      chat_last_ = std::max(chat_last_, b->cseq);
      restarted_ = false;
    }
  } else if (auto* c = std::get_if<msg::Chat>(&m)) {
    if ((chat_last_ != 0 || restarted_) && c->seq > chat_last_ + 1) {
      out.emplace_back(link::ChatGap{c->seq - chat_last_ - 1});
    }
    chat_last_ = std::max(chat_last_, c->seq);
    restarted_ = false;
    if (opt_.name.empty() || !delivery_.fresh(*c)) return true;  // a feed's, or a resend we have shown already
  } else if (auto* s = std::get_if<msg::Shutdown>(&m)) {
    lost(s->text.empty() ? std::string("el servidor se ha cerrado") : s->text, out);
    return false;
  }
  if (!opt_.feed) out.emplace_back(msg::Decoded{std::move(m), 0});
  return true;
}

void Connection::on_welcome(const msg::Welcome& w) {
  if (w.instance != instance_) {  // another broker: its chat numbers start again
    restarted_ = instance_ != 0;
    chat_last_ = 0;
  }
  if (!w.resumed) delivery_.new_session();
  welcome_ = w;
  instance_ = w.instance;
  resume_ = w.resume;
  state_ = State::up;
  handshake_.reset();
  backoff_ = milliseconds(1000);
  last_recv_ = last_dealer_recv_ = Clock::now();
  if (opt_.shared_sub) {
    sub_live_ = false;  // until the shared subscription brings anything
    last_sync_ = {};
  } else {
    connect_sub();
  }
  // Told once the subscription is live, so that "reconnected" means all of it; what
  // waited goes out then too, so that its broadcasts come back to us as to everyone.
  if (!starting_) rejoined_ = link::Rejoined{w.resumed};
}

void Connection::send_waiting() {
  for (const auto& o : delivery_.unacked()) send_now(o.msg);  // a resend is recognised, never handled twice
  while (!pending_.empty()) {
    send_now(pending_.front().first, pending_.front().second);
    pending_.pop_front();
  }
}

void Connection::lost(std::string why, std::deque<Event>& out, bool read_sub_first) {
  // The broker is the same: what its PUB sent before the loss is ours to show.
  if (read_sub_first && sub_) {
    on_sub(out);
    if (state_ != State::up) return;  // reading it found a restart or a shutdown
  }
  out.emplace_back(link::Lost{std::move(why)});
  state_ = State::down;
  close();
  next_attempt_ = Clock::now();
  backoff_ = milliseconds(1000);
}

void Connection::attempt(Clock::time_point now) {
  open();
  send_now(join_request());
  state_ = State::joining;
  // The DEALER keeps reconnecting by itself; the hello goes out as soon as the broker is back.
  attempt_deadline_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void Connection::watch_handshake(Clock::time_point now) {
  if (!starting_ || !handshake_) return;  // later joins keep retrying, as ZeroMQ does
  const auto& f = handshake_->failure();
  if (f && (f->certain || now - f->since >= kHandshakeGrace)) start_failure_ = JoinFailed(std::nullopt, f->why);
}

void Connection::timers(Clock::time_point now, std::deque<Event>& out) {
  switch (state_) {
    case State::up: {
      const bool joined = !opt_.name.empty();
      // A joined client gets a pong for every ping: a silent DEALER means a dead session or broker.
      if (now - last_recv_ > expiry() || (joined && now - last_dealer_recv_ > expiry())) {
        return lost("el servidor no responde", out, true);
      }
      if (!sub_live_ && now - last_sync_ >= kSyncEvery) {
        send_now(msg::Sync{});
        last_sync_ = now;
      }
      if (!joined) break;
      if (const auto dseq = delivery_.got_due(now)) send_now(msg::Got{*dseq});
      const bool quiet = now - last_send_ >= heartbeat() || now - last_dealer_recv_ >= heartbeat();
      if (quiet && now - last_ping_ >= heartbeat() / 2) {
        send_now(msg::Ping{});
        last_ping_ = now;
      }
      break;
    }
    case State::joining:
      watch_handshake(now);
      if (now >= attempt_deadline_) {
        close();
        state_ = State::down;
        next_attempt_ = now;
      }
      break;
    case State::down:
      if (now >= next_attempt_) attempt(now);
      break;
    case State::stopped:
      break;
  }
}

}  // namespace charla::client
