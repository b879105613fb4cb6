#include "wire.hpp"

#include <charla/msg/names.hpp>

#include <nlohmann/json.hpp>

namespace charla::web {
namespace {

using nlohmann::ordered_json;

// Every text the gateway sends is valid UTF-8 already (the core makes text from
// others printable); replace, never throw, whatever happens.
Encoded encode(const ordered_json& j) {
  return std::make_shared<const std::string>(j.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
}

std::string word(msg::Status s) { return std::string(msg::to_string(s)); }

ordered_json user_json(const client::OnlineUser& u) {
  return {{"name", u.name}, {"status", word(u.status)}, {"ip", u.ip}, {"since", u.since},
          {"idle", u.idle_by_broker}, {"me", u.me}};
}

const char* link_word(client::Link::State s) {
  switch (s) {
    case client::Link::State::connected: return "connected";
    case client::Link::State::reconnecting: return "reconnecting";
    case client::Link::State::reconnected: return "reconnected";
    case client::Link::State::joining: return "joining";
    case client::Link::State::name_lost: return "name_lost";
  }
  return "connected";
}

}  // namespace

PageMessage decode_page(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return page::Bad{"no es JSON"};
  if (!j.is_object()) return page::Bad{"se esperaba un objeto JSON"};
  const auto t = j.find("t");
  if (t == j.end() || !t->is_string()) return page::Bad{"falta el tipo (\"t\")"};
  const auto string_field = [&](const char* key) -> std::optional<std::string> {
    const auto f = j.find(key);
    if (f == j.end() || !f->is_string()) return std::nullopt;
    return f->get<std::string>();
  };
  const auto& type = t->get_ref<const std::string&>();
  if (type == "join") {
    auto name = string_field("name");
    if (!name) return page::Bad{"join sin nombre"};
    return page::Join{std::move(*name)};
  }
  if (type == "line") {
    auto line = string_field("text");
    if (!line) return page::Bad{"line sin texto"};
    return page::Line{std::move(*line)};
  }
  if (type == "leave") return page::Leave{};
  return page::Bad{"tipo desconocido"};
}

namespace out {

Encoded joined(const std::string& name, const std::string& server, std::uint32_t max_text) {
  return encode({{"t", "joined"}, {"name", name}, {"server", server}, {"max_text", max_text}});
}
Encoded refused(std::string_view code, const std::string& text) {
  return encode({{"t", "refused"}, {"code", code}, {"text", text}});
}
Encoded message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) {
  return encode({{"t", "message"}, {"ts", ts}, {"from", from}, {"text", text}, {"mine", mine}});
}
Encoded private_message(std::uint64_t ts, const std::string& peer, const std::string& text, bool outgoing) {
  return encode({{"t", "private"}, {"ts", ts}, {"peer", peer}, {"text", text}, {"outgoing", outgoing}});
}
Encoded notice(const std::string& text) { return encode({{"t", "notice"}, {"text", text}}); }
Encoded error(const std::string& text) { return encode({{"t", "error"}, {"text", text}}); }
Encoded help(const std::vector<std::string>& lines) { return encode({{"t", "help"}, {"lines", lines}}); }
Encoded link(const client::Link& l) {
  return encode({{"t", "link"}, {"state", link_word(l.state)}, {"endpoint", l.endpoint}, {"text", l.text},
                 {"resumed", l.resumed}});
}
Encoded own_status(msg::Status status, bool by_idleness) {
  return encode({{"t", "status"}, {"status", word(status)}, {"idle", by_idleness}});
}
Encoded users(const std::vector<client::OnlineUser>& list) {
  auto all = ordered_json::array();
  for (const auto& u : list) all.push_back(user_json(u));
  return encode({{"t", "users"}, {"users", std::move(all)}});
}
Encoded user(const client::OnlineUser& u, bool online) {
  if (!online) return encode({{"t", "gone"}, {"name", u.name}});
  ordered_json j{{"t", "user"}};
  j.update(user_json(u));
  return encode(j);
}
Encoded info(const msg::UserInfo& i) {
  return encode({{"t", "info"}, {"name", i.name}, {"ip", i.ip}, {"status", word(i.status)},
                 {"connected_s", i.connected_s}, {"idle_s", i.idle_s}});
}
Encoded missed(std::uint64_t count) { return encode({{"t", "missed"}, {"count", count}}); }
Encoded bye() { return encode({{"t", "bye"}}); }

}  // namespace out
}  // namespace charla::web
