#include "handlers.hpp"

#include <charla/msg/names.hpp>
#include <charla/msg/text.hpp>
#include <charla/version.hpp>

#include <spdlog/spdlog.h>

#include <arpa/inet.h>

namespace charla::broker::handle {
namespace {

using msg::ErrorCode;
using Kind = LogLimiter::Kind;

msg::Welcome welcome(const Shared& shared, const std::string& name, const std::string& token, bool resumed,
                     std::uint64_t origin = 0, std::optional<bool> owned = std::nullopt) {
  const auto& cfg = shared.cfg;
  return msg::Welcome{name,
                      cfg.pub_port,
                      cfg.heartbeat_ms,
                      cfg.expiry_ms,
                      cfg.idle_timeout_s,
                      shared.instance,
                      std::string("charla-broker ") + kVersionString,
                      static_cast<std::uint32_t>(cfg.max_text),
                      token,
                      resumed,
                      origin,
                      owned};
}

// An error about a numbered message carries its number, and is remembered so
// that a resend gets it again (2.6).
void fail(Request& r, std::uint64_t n, ErrorCode code, std::string text, std::string_view re) {
  const msg::Error e{code, std::move(text), std::string(re), n};
  if (n != 0) r.session->sent.failed(n, e);
  r.reply(e);
}

// A numbered message handled: acknowledged with the next ones.
void handled(Request& r, std::uint64_t n) {
  if (n == 0) return;
  r.session->sent.handled(n);
  r.acks.handled(r.rid, n);
}

// A resend of a message handled already: its first answer again, and nothing else.
bool resent(Request& r, std::uint64_t n) {
  std::optional<msg::Error> first;
  if (n == 0 || !r.session->sent.seen(n, first)) return false;
  if (first) {
    r.reply(*first);
  } else {
    r.acks.handled(r.rid, n);
  }
  return true;
}

// The text of a say or whisper: 1 to max_text bytes (the decoder checked UTF-8).
bool text_ok(Request& r, const std::string& text, std::uint64_t n, std::string_view re) {
  if (text.empty()) {
    fail(r, n, ErrorCode::bad_field, "el texto está vacío", re);
    return false;
  }
  if (text.size() > r.shared.cfg.max_text) {
    fail(r, n, ErrorCode::too_long,
         "el texto tiene " + std::to_string(text.size()) + " bytes; el máximo es " +
             std::to_string(r.shared.cfg.max_text),
         re);
    return false;
  }
  return true;
}

// The beginning of a text, for a one-line notice about it.
std::string excerpt(const std::string& text) {
  constexpr std::size_t kChars = 40;
  const auto shown = msg::printable(text);
  std::size_t bytes = 0, chars = 0;
  while (bytes < shown.size() && chars < kChars) {
    bytes += 1;
    while (bytes < shown.size() && (static_cast<unsigned char>(shown[bytes]) & 0xC0) == 0x80) ++bytes;
    ++chars;
  }
  return bytes < shown.size() ? shown.substr(0, bytes) + "…" : shown;
}

// Ends the session: out of the registry and out of this worker; tells the
// senders of the numbered private messages it never confirmed (an unnumbered
// one has no n to match an error to, 2.6); its owned name remembers when it was
// last used. nullopt: it had ended already.
std::optional<msg::Presence> end_session(Request& r, msg::PresenceEvent why) {
  r.local.erase(r.session->rid);
  auto p = r.shared.registry.remove(*r.session, why);
  if (!p) return p;
  if (!r.session->owner.empty()) r.keeper.push(job::Left{r.session->key, wall_ms()});
  const auto letters = r.session->mailbox.close();
  for (const auto& l : letters) {
    if (l.n == 0) continue;
    const auto sender = r.shared.registry.find(l.from);
    if (!sender || sender->published_origin != l.origin) continue;  // gone, or somebody else by that name now
    r.out.reply(sender->rid, msg::Error{ErrorCode::undelivered,
                                        "'" + r.session->name + "' se fue sin confirmar tu mensaje privado: «" +
                                            excerpt(l.text) + "»",
                                        "whisper", l.n});
  }
  if (!letters.empty()) {
    spdlog::info("{}: {} mensajes privados sin confirmar; avisados sus remitentes", r.who(), letters.size());
  }
  return p;
}

// The user's address: the connection's, or the one a trusted gateway says its
// user has (4.2). nullopt, with the error sent, when the hello may not give one.
std::optional<std::string> address(Request& r, const msg::Hello& m) {
  if (m.ip.empty()) return std::string(r.ip);
  if (!r.from_gateway) {
    r.error(ErrorCode::forbidden, "solo una pasarela de confianza puede dar la dirección de su usuario", "hello");
    return std::nullopt;
  }
  in6_addr parsed{};
  const bool ip4 = ::inet_pton(AF_INET, m.ip.c_str(), &parsed) == 1;
  if (!ip4 && ::inet_pton(AF_INET6, m.ip.c_str(), &parsed) != 1) {
    r.error(ErrorCode::bad_field, "el campo 'ip' no es una dirección IP", "hello");
    return std::nullopt;
  }
  return m.ip;
}

// A new connection takes its own session over (2.6): same name and status, no
// leave or join; what its user had not confirmed is sent again. Its own: its
// resume token says so, or (2.7) the key that owns the name (`owner`, "" for none).
bool resume(Request& r, msg::Hello& m, const std::string& ip, const std::string& owner) {
  const auto ours = [&](const Session& s) {
    return (!m.resume.empty() && s.resume_token == m.resume) || (!owner.empty() && s.owner == owner);
  };
  auto t = r.shared.registry.take_over(m.name, ours, std::string(r.rid), ip, r.worker, r.now);
  if (t.outcome == Registry::TakeOver::none) return false;
  if (t.outcome == Registry::TakeOver::mismatch) {
    if (m.resume.empty()) return false;  // a plain hello: name_taken, as any other
    r.error(ErrorCode::name_taken, "el nombre '" + m.name + "' es ya de otra persona", "hello");
    return true;
  }
  auto& s = t.session;
  r.local.emplace(s->rid, s);
  if (r.may_log(Kind::session)) spdlog::info("{} ({}) recuperó su sesión", s->name, s->ip);
  std::optional<bool> owned;  // with CURVE: whether the name is this key's (a gateway's users own none: not said)
  if (!owner.empty()) owned = r.shared.names.check(msg::fold_name(s->name), owner, wall_ms()) == NameBook::Claim::mine;
  r.reply(welcome(r.shared, s->name, s->resume_token, true, s->published_origin, owned));
  for (auto& frame : s->mailbox.unconfirmed()) r.out.reply(r.rid, frame);
  r.publish(t.event);
  return true;
}

// A CURVE key that joined as `name` takes it, unless that goes over a bound
// (docs/security.md): then it joins all the same, as without CURVE, and one line says why.
NameBook::Claimed claim(Request& r, const std::string& folded, const std::string& name, const std::string& owner,
                        const std::string& ip, std::uint64_t now_ms) {
  const Claimant who{owner, ip, r.shared.known(owner)};
  auto claimed = r.shared.names.claim(folded, name, who, now_ms);
  if (claimed.over == NameBook::Over::none || !r.may_log(Kind::session)) return claimed;
  const auto& cfg = r.shared.cfg;
  switch (claimed.over) {
    case NameBook::Over::in_all:
      spdlog::warn("{} ({}) entra sin ser dueño del nombre: ya hay {} nombres con dueño (--max-owned-names)", name,
                   ip, cfg.max_owned_names);
      break;
    case NameBook::Over::per_key:
      spdlog::info("{} ({}) entra sin ser dueño del nombre: su clave ya tiene {} (--names-per-key)", name, ip,
                   cfg.names_per_key);
      break;
    case NameBook::Over::per_address:
      spdlog::info("{} ({}) entra sin ser dueño del nombre: {} nombres nuevos hoy desde {} (--names-per-address)",
                   name, ip, cfg.names_per_address, claim_group(ip));
      break;
    case NameBook::Over::none:
      break;
  }
  return claimed;
}

// To the reader, unless this connection has query_pending questions waiting already
// (each costs a read of the history, many times what a broadcast costs), or too many
// wait in all (2.4). The reader gives the connection's place back once it answers.
void ask(Request& r, Question q, std::string_view re) {
  const auto& cfg = r.shared.cfg;
  if (!r.shared.asking.take(q.rid, cfg.query_pending)) {
    if (r.may_log(Kind::rate_limited)) spdlog::warn("{} pregunta sin esperar respuesta: consultas rechazadas", r.who());
    return r.error(ErrorCode::busy,
                   "ya tienes " + std::to_string(cfg.query_pending) +
                       " consultas esperando respuesta; espera a que lleguen",
                   re);
  }
  if (r.reader.push(q)) return;
  r.shared.asking.done(q.rid);
  r.error(ErrorCode::busy, "el servidor tiene demasiadas consultas esperando; inténtalo de nuevo en un momento", re);
}

}  // namespace

void join(Request& r, msg::Hello& m) {
  if (auto problem = msg::name_problem(m.name); !problem.empty()) {
    r.error(ErrorCode::name_invalid, problem, "hello");
    return;
  }
  const auto ip = address(r, m);
  if (!ip) return;
  const auto folded = msg::fold_name(m.name);
  const auto now_ms = wall_ms();
  const std::string key(r.key);
  if (!key.empty() && r.shared.names.check(folded, key, now_ms) == NameBook::Claim::theirs) {
    r.error(ErrorCode::name_owned, "el nombre '" + m.name + "' es de otra clave", "hello");
    return;
  }
  // A trusted gateway's key speaks for many users (4.2): with it one user could take
  // another's session or name. Its users own no names: first come, first served.
  const std::string owner(r.from_gateway ? std::string() : key);
  if ((!m.resume.empty() || !owner.empty()) && resume(r, m, *ip, owner)) return;
  auto s = std::make_shared<Session>(std::string(r.rid), m.name, *ip, r.worker, r.now, new_resume_token(), m.origin,
                                     owner);
  msg::Presence joined;
  if (auto err = r.shared.registry.join(s, joined)) {
    const bool taken = *err == Registry::JoinError::taken;
    if (taken) {
      r.error(ErrorCode::name_taken, "el nombre '" + m.name + "' ya está en uso", "hello");
    } else {
      r.error(ErrorCode::server_full, "el servidor está lleno; inténtalo más tarde", "hello");
    }
    if (r.may_log(Kind::session)) {
      spdlog::info("{} ({}) rechazado: {}", m.name, r.ip, taken ? "nombre en uso" : "lleno");
    }
    return;
  }
  r.local.emplace(s->rid, s);
  if (r.may_log(Kind::session)) spdlog::info("{} ({}) se unió", s->name, s->ip);
  // With CURVE the name is this key's from now on, within the bounds on strangers; what waited for it comes now.
  const auto claimed = owner.empty() ? NameBook::Claimed{} : claim(r, folded, m.name, owner, *ip, now_ms);
  const auto owned = owner.empty() ? std::nullopt : std::optional<bool>(claimed.name.has_value());
  r.reply(welcome(r.shared, s->name, s->resume_token, false, s->published_origin, owned));
  r.publish(joined);
  if (claimed.name) {
    r.keeper.push(job::Own{*claimed.name});
    r.keeper.push(job::Deliver{s});
  }
}

void refuse_not_joined(Request& r, const msg::Message& m) {
  r.error(ErrorCode::not_joined, "primero hay que unirse con 'hello'", msg::type_name(m));
}

void welcome_observer(Request& r, msg::Watch&) { r.reply(welcome(r.shared, "", "", false)); }

void users(Request& r, msg::Who&) { r.reply(r.shared.registry.snapshot(r.now)); }

void beat(Request& r, msg::Sync&) { r.out.beat(); }

void refuse_unknown_type(Request& r, const msg::Message& m) {
  const auto type = msg::type_name(m);
  r.error(ErrorCode::unknown_type, "el servidor no acepta mensajes '" + std::string(type) + "'", type);
}

void refuse_second_hello(Request& r, msg::Hello&) {
  r.error(ErrorCode::already_joined, "esta conexión ya es " + r.session->name, "hello");
}

void user_info(Request& r, msg::Info& m) {
  const auto s = r.shared.registry.find(m.name);
  if (!s) return r.error(ErrorCode::no_such_user, "'" + m.name + "' no está conectado", "info");
  r.reply(msg::UserInfo{s->name, s->ip, s->status.load(), seconds_between(s->connected_at, r.now),
                        seconds_between(s->activity(), r.now)});
}

void set_status(Request& r, msg::SetStatus& m) {
  r.presence.choose(*r.session, m.status, r.now);
  r.reply(msg::Ok{"set_status"});
}

// Stored, then published and acknowledged, by the store thread (2.7).
void broadcast(Request& r, msg::Say& m) {
  if (resent(r, m.n) || !text_ok(r, m.text, m.n, "say")) return;
  const auto origin = m.n != 0 ? r.session->published_origin : 0;
  r.keeper.push(job::Chat{std::string(r.rid), r.session->name, std::move(m.text), wall_ms(), origin, m.n});
  handled(r, m.n);
}

void whisper(Request& r, msg::Whisper& m) {
  if (resent(r, m.n) || !text_ok(r, m.text, m.n, "whisper")) return;
  // A session that ends or moves while we put into it is looked up again.
  for (int tries = 0; tries < 3; ++tries) {
    const auto target = r.shared.registry.find(m.to);
    if (!target) break;
    msg::Private p{r.session->name, m.text, wall_ms(), 0, m.n != 0 ? r.session->published_origin : 0, m.n};
    zmq::message_t frame;
    switch (target->mailbox.put(p, r.shared.cfg.max_queue, frame)) {
      case Mailbox::Put::ok:
        r.out.reply(target->rid, frame);
        return handled(r, m.n);
      case Mailbox::Put::full:
        return fail(r, m.n, ErrorCode::queue_full,
                    "'" + target->name + "' tiene demasiados mensajes privados sin leer; no se entregó", "whisper");
      case Mailbox::Put::closed:
        continue;
    }
  }
  hold(r, m);
}

// A whisper to someone not online: if the name has an owner, it waits for them (2.7).
void hold(Request& r, msg::Whisper& m) {
  const auto folded = msg::fold_name(m.to);
  const auto owned = r.shared.names.find(folded, wall_ms());
  if (!owned) return fail(r, m.n, ErrorCode::no_such_user, "'" + m.to + "' no está conectado", "whisper");
  const auto& cfg = r.shared.cfg;
  const auto& from = r.session->name;
  switch (r.shared.mail.reserve(folded, msg::fold_name(from), mail_cost(m.text.size(), from.size()))) {
    case MailBook::Put::ok:
      break;
    case MailBook::Put::recipient_full:
      return fail(r, m.n, ErrorCode::mailbox_full,
                  "'" + owned->name + "' tiene demasiados mensajes privados esperando (" +
                      std::to_string(cfg.mail_keep) + "); no se guardó",
                  "whisper");
    case MailBook::Put::sender_full:
      return fail(r, m.n, ErrorCode::mailbox_full,
                  "ya tienes " + std::to_string(cfg.mail_per_sender) +
                      " mensajes privados esperando a quien no está; no se guardó (podrás dejar más cuando se "
                      "entreguen)",
                  "whisper");
    case MailBook::Put::all_full:
      if (r.may_log(Kind::session)) spdlog::warn("{}: el buzón de quien no está, lleno (--mail-max-mb)", r.who());
      return fail(r, m.n, ErrorCode::mailbox_full,
                  "el servidor no puede guardar más mensajes privados para quien no está; no se guardó", "whisper");
  }
  const auto origin = m.n != 0 ? r.session->origin : 0;
  r.keeper.push(job::Mail{WaitingMail{0, folded, r.session->name, std::move(m.text), wall_ms(), origin, m.n},
                          owned->name, std::string(r.rid)});
  handled(r, m.n);
}

void pong(Request& r, msg::Ping&) { r.reply(msg::Pong{}); }

void confirm(Request& r, msg::Got& m) {
  auto waited = r.session->mailbox.confirm(m.dseq);
  if (!waited.empty()) r.keeper.push(job::Confirmed{r.session->name, std::move(waited)});
}

void history(Request& r, msg::History& m) {
  Question q{Question::Kind::history, std::string(r.rid), r.id, m.before, m.limit, 0, {}};
  if (m.before == 0 && r.session && !r.session->owner.empty()) {  // an owner coming back: what they missed (2.7)
    if (const auto owned = r.shared.names.find(r.session->key, wall_ms()); owned && owned->owner == r.session->owner) {
      q.since = owned->seen_hid;
    }
  }
  ask(r, std::move(q), "history");
}

// What to search for: the words of the text as the index's tokenizer sees them, a few (2.7).
void search(Request& r, msg::Search& m) {
  Question q{Question::Kind::search, std::string(r.rid), r.id, 0, m.limit, 0, r.words.distinct(m.text)};
  if (q.words.empty()) return r.error(ErrorCode::bad_field, "no hay nada que buscar", "search");
  if (m.text.size() > kMaxSearchBytes) {
    return r.error(ErrorCode::too_long,
                   "la búsqueda tiene " + std::to_string(m.text.size()) + " bytes; el máximo es " +
                       std::to_string(kMaxSearchBytes),
                   "search");
  }
  if (q.words.size() > kMaxSearchWords) {
    return r.error(ErrorCode::too_long,
                   "la búsqueda tiene " + std::to_string(q.words.size()) + " palabras; el máximo es " +
                       std::to_string(kMaxSearchWords),
                   "search");
  }
  ask(r, std::move(q), "search");
}

void leave(Request& r, msg::Bye&) {
  const auto p = end_session(r, msg::PresenceEvent::leave);
  if (r.may_log(Kind::session)) spdlog::info("{} ({}) salió", r.session->name, r.session->ip);
  r.reply(msg::Ok{"bye"});
  if (p) r.publish(*p);
}

void lose(Request& r) {
  const auto p = end_session(r, msg::PresenceEvent::lost);
  if (!p) return;
  spdlog::info("{} ({}) perdido: sin noticias en {} ms", r.session->name, r.session->ip, r.shared.cfg.expiry_ms);
  r.publish(*p);
}

}  // namespace charla::broker::handle
