#include <charla/client/connection.hpp>

#include <charla/msg/keys.hpp>

#include <algorithm>
#include <cstring>

namespace charla::client {
namespace {

constexpr milliseconds kSyncEvery{50};
constexpr milliseconds kMaxBackoff{5000};
constexpr std::size_t kMaxPending = 1000;

enum class Frame { none, one, several };

// Takes the next message waiting on s. A message of several frames (never from
// a charla broker) is drained whole rather than left to desynchronise the socket.
Frame recv_frame(zmq::socket_t& s, zmq::message_t& frame) {
  if (!s.recv(frame, zmq::recv_flags::dontwait)) return Frame::none;
  if (!frame.more()) return Frame::one;
  zmq::message_t extra;
  do {
    (void)s.recv(extra);
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

}  // namespace

Connection::Connection(Options o) : opt_(std::move(o)) {}
Connection::~Connection() { close(); }

std::string Connection::endpoint() const { return "tcp://" + opt_.host + ":" + std::to_string(opt_.port); }

msg::Message Connection::join_request() const {
  if (opt_.name.empty()) return msg::Watch{};
  return msg::Hello{opt_.name};
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
  try {
    dealer_->connect(endpoint());
  } catch (const zmq::error_t& e) {
    throw JoinFailed(std::nullopt, "dirección no válida '" + opt_.host + ":" + std::to_string(opt_.port) + "': " +
                                       e.what());
  }
}

void Connection::close() {
  monitor_.reset();
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
  if (!opt_.name.empty()) sub_->set(zmq::sockopt::subscribe, msg::kTopicChat);
  sub_->set(zmq::sockopt::subscribe, msg::kTopicPresence);
  sub_->set(zmq::sockopt::subscribe, msg::kTopicSys);
  sub_->connect("tcp://" + opt_.host + ":" + std::to_string(welcome_.pub_port));
  sub_live_ = false;
  last_sync_ = {};
}

const msg::Welcome& Connection::start() {
  const auto deadline = Clock::now() + opt_.timeout;
  const auto left = [&] {
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
  };
  open();
  // Watch the handshake, so that a refused key or a plaintext/CURVE mix-up is a clear error, not a wait.
  const std::string mon_ep = "inproc://charla-handshake";
  zmq_socket_monitor(dealer_->handle(), mon_ep.c_str(),
                     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  monitor_.emplace(ctx_, zmq::socket_type::pair);
  monitor_->connect(mon_ep);
  send_now(join_request());
  std::optional<std::string> vague_failure;
  Clock::time_point vague_deadline{};
  for (;;) {
    if (left().count() == 0) {
      throw JoinFailed(std::nullopt, "el servidor " + opt_.host + ":" + std::to_string(opt_.port) +
                                         " no responde (¿está en marcha? ¿es el puerto correcto?)");
    }
    if (vague_failure && Clock::now() >= vague_deadline) throw JoinFailed(std::nullopt, *vague_failure);
    zmq::pollitem_t items[2] = {{dealer_->handle(), 0, ZMQ_POLLIN, 0}, {monitor_->handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, vague_failure ? std::min(left(), milliseconds(100)) : left());
    if (items[1].revents & ZMQ_POLLIN) {
      if (auto why = handshake_failure()) {
        if (why->second) throw JoinFailed(std::nullopt, why->first);
        // The broker hung up without saying why: the next attempt (ZeroMQ retries by
        // itself) may say more. Give it a moment before reporting the vague reason.
        if (!vague_failure) vague_deadline = Clock::now() + milliseconds(1000);
        vague_failure = why->first;
      }
    }
    if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
    auto d = read_one(*dealer_);
    if (!d) continue;
    if (auto* w = std::get_if<msg::Welcome>(&d->msg)) {
      welcome_ = *w;
      break;
    }
    if (auto* e = std::get_if<msg::Error>(&d->msg)) throw JoinFailed(e->code, e->text);
  }
  zmq_socket_monitor(dealer_->handle(), nullptr, 0);
  monitor_.reset();
  state_ = State::up;
  last_recv_ = Clock::now();
  connect_sub();
  // The subscription is live once anything arrives on it; the broker answers each sync with a beat.
  std::deque<Event> early;
  while (!sub_live_) {
    if (left().count() == 0) {
      throw JoinFailed(std::nullopt, "no llega la difusión del servidor (puerto " +
                                         std::to_string(welcome_.pub_port) + "); ¿un cortafuegos?");
    }
    std::vector<zmq::pollitem_t> none;
    poll(std::min(left(), kSyncEvery), none, early);
  }
  return welcome_;
}

std::optional<std::pair<std::string, bool>> Connection::handshake_failure() {
  zmq::message_t head, addr;
  if (!monitor_->recv(head, zmq::recv_flags::dontwait)) return std::nullopt;
  if (head.more()) (void)monitor_->recv(addr);
  if (head.size() < 6) return std::nullopt;
  std::uint16_t event = 0;
  std::uint32_t value = 0;
  std::memcpy(&event, head.data(), 2);
  std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
  const bool curve = !opt_.server_key.empty();
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    return std::pair{"el servidor rechazó la clave de este cliente (no está autorizada); pide que añadan tu "
                     "clave pública " + opt_.public_key, true};
  }
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
    return std::pair{curve ? std::string("el servidor no usa cifrado CURVE: conecta sin --server-key")
                           : std::string("el servidor exige cifrado CURVE: usa --server-key con su clave pública"),
                     true};
  }
  return std::pair{curve ? "el servidor cortó el saludo cifrado: o la --server-key no es la suya, o no usa "
                           "cifrado, o tu clave no está autorizada allí (tu clave pública: " + opt_.public_key + ")"
                         : std::string("el servidor cerró la conexión durante el saludo (¿exige cifrado? usa "
                                       "--server-key)"),
                   false};
}

void Connection::send_now(const msg::Message& m, std::uint64_t id) {
  (void)dealer_->send(msg::encode(m, id), zmq::send_flags::dontwait);
  last_send_ = Clock::now();
}

void Connection::send(const msg::Message& m, std::uint64_t id) {
  if (state_ == State::up) return send_now(m, id);
  if (pending_.size() < kMaxPending) pending_.emplace_back(m, id);
}

void Connection::poll(milliseconds max_wait, std::vector<zmq::pollitem_t>& extra, std::deque<Event>& out) {
  std::vector<zmq::pollitem_t> items;
  items.reserve(2 + extra.size());
  const std::size_t first_extra = (dealer_ ? 1 : 0) + (sub_ ? 1 : 0);
  if (dealer_) items.push_back({dealer_->handle(), 0, ZMQ_POLLIN, 0});
  if (sub_) items.push_back({sub_->handle(), 0, ZMQ_POLLIN, 0});
  items.insert(items.end(), extra.begin(), extra.end());

  // Wake for the next timer: heartbeat, sync, liveness, or reconnect attempt.
  auto wait = std::min(max_wait, state_ == State::up && !sub_live_ ? kSyncEvery : heartbeat() / 2);
  try {
    zmq::poll(items.data(), items.size(), wait);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    for (auto& it : items) it.revents = 0;
  }
  for (std::size_t i = 0; i < extra.size(); ++i) extra[i].revents = items[first_extra + i].revents;
  std::size_t k = 0;
  const bool dealer_ready = dealer_ && (items[k++].revents & ZMQ_POLLIN);
  const bool sub_ready = sub_ && (items[k++].revents & ZMQ_POLLIN);
  if (dealer_ready) on_dealer(out);
  if (sub_ready && sub_) on_sub(out);
  timers(Clock::now(), out);
}

void Connection::on_dealer(std::deque<Event>& out) {
  while (dealer_) {
    auto d = read_one(*dealer_);
    if (!d) return;
    last_recv_ = Clock::now();
    if (std::holds_alternative<msg::Pong>(d->msg)) continue;
    if (auto* w = std::get_if<msg::Welcome>(&d->msg)) {
      if (state_ == State::joining) on_welcome(*w);
      continue;
    }
    if (auto* e = std::get_if<msg::Error>(&d->msg)) {
      if (state_ == State::joining) {  // e.g. our old session has not expired yet: try again later
        close();
        state_ = State::down;
        next_attempt_ = Clock::now() + backoff_;
        return;
      }
      if (e->code == msg::ErrorCode::not_joined && !opt_.name.empty()) return lost("la sesión se perdió", out);
    }
    out.emplace_back(std::move(*d));
  }
}

void Connection::on_sub(std::deque<Event>& out) {
  zmq::message_t frame;
  while (sub_) {
    const auto got = recv_frame(*sub_, frame);
    if (got == Frame::none) return;
    last_recv_ = Clock::now();
    sub_live_ = true;
    if (announce_rejoin_) {
      announce_rejoin_ = false;
      out.emplace_back(link::Rejoined{});
    }
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
  if (auto* b = std::get_if<msg::Beat>(&m)) {
    if (b->instance != welcome_.instance) {
      lost("el servidor se reinició", out);
      return false;
    }
    if (!opt_.name.empty()) {
      if (chat_last_ != 0 && b->cseq > chat_last_) out.emplace_back(link::ChatGap{b->cseq - chat_last_});
      chat_last_ = std::max(chat_last_, b->cseq);
    }
  } else if (auto* c = std::get_if<msg::Chat>(&m)) {
    if (chat_last_ != 0 && c->seq > chat_last_ + 1) out.emplace_back(link::ChatGap{c->seq - chat_last_ - 1});
    chat_last_ = std::max(chat_last_, c->seq);
  } else if (auto* s = std::get_if<msg::Shutdown>(&m)) {
    lost(s->text.empty() ? std::string("el servidor se ha cerrado") : s->text, out);
    return false;
  }
  out.emplace_back(msg::Decoded{std::move(m), 0});
  return true;
}

void Connection::on_welcome(const msg::Welcome& w) {
  welcome_ = w;
  state_ = State::up;
  backoff_ = milliseconds(1000);
  last_recv_ = Clock::now();
  chat_last_ = 0;
  connect_sub();
  announce_rejoin_ = true;  // told once the subscription is live, so "reconnected" means all of it
  while (!pending_.empty()) {
    send_now(pending_.front().first, pending_.front().second);
    pending_.pop_front();
  }
}

void Connection::lost(std::string why, std::deque<Event>& out) {
  out.emplace_back(link::Lost{std::move(why)});
  state_ = State::down;
  close();
  chat_last_ = 0;
  next_attempt_ = Clock::now();
  backoff_ = milliseconds(1000);
}

void Connection::timers(Clock::time_point now, std::deque<Event>& out) {
  switch (state_) {
    case State::up:
      if (now - last_recv_ > expiry()) return lost("el servidor no responde", out);
      if (!sub_live_ && now - last_sync_ >= kSyncEvery) {
        send_now(msg::Sync{});
        last_sync_ = now;
      }
      if (!opt_.name.empty() && now - last_send_ >= heartbeat()) send_now(msg::Ping{});
      break;
    case State::joining:
      if (now >= attempt_deadline_) {
        close();
        state_ = State::down;
        next_attempt_ = now;
      }
      break;
    case State::down:
      if (now >= next_attempt_) {
        open();
        send_now(join_request());
        state_ = State::joining;
        // The DEALER keeps reconnecting by itself; the hello goes out as soon as the broker is back.
        attempt_deadline_ = now + backoff_;
        backoff_ = std::min(backoff_ * 2, kMaxBackoff);
      }
      break;
  }
}

}  // namespace charla::client
