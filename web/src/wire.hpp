// The wire format between the page and charla-web (docs/web.md): one JSON object
// per WebSocket text message, with its type in "t". The page sends what its user
// typed, as the console would read it; the gateway sends what the chat core told
// its view. Decoding is strict and never throws: anything else is a value saying
// what was wrong.
#pragma once

#include <charla/client/chat_core.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace charla::web {

// ---- page -> gateway ----
namespace page {
struct Join { std::string name; };   // {"t":"join","name":"ana"}: the first message, once
struct Line { std::string text; };   // {"t":"line","text":"@bea hola"}: a typed line
struct Leave {};                     // {"t":"leave"}: the user closes the chat
struct Bad { std::string why; };     // none of these: the page is told why, nothing else happens
}  // namespace page
using PageMessage = std::variant<page::Join, page::Line, page::Leave, page::Bad>;

PageMessage decode_page(std::string_view text);

// ---- gateway -> page: each an encoded JSON text, shared by every socket it goes to ----
using Encoded = std::shared_ptr<const std::string>;

namespace out {
Encoded joined(const std::string& name, const std::string& server, std::uint32_t max_text);
Encoded refused(std::string_view code, const std::string& text);
Encoded message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine);
Encoded private_message(std::uint64_t ts, const std::string& peer, const std::string& text, bool outgoing);
Encoded notice(const std::string& text);
Encoded error(const std::string& text);
Encoded help(const std::vector<std::string>& lines);
Encoded link(const client::Link& link);
Encoded own_status(msg::Status status, bool by_idleness);
Encoded users(const std::vector<client::OnlineUser>& users);
Encoded user(const client::OnlineUser& user, bool online);
Encoded info(const msg::UserInfo& info);
Encoded missed(std::uint64_t count);
Encoded bye();
}  // namespace out

}  // namespace charla::web
