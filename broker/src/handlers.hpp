// The actions of the session state machine (machine.cpp): one small function
// per thing the broker does in answer to an event, named for what it does.
// Which action runs for which message in which state is decided by the table
// in machine.cpp, not here.
#pragma once

#include "request.hpp"

#include <charla/msg/protocol.hpp>

namespace charla::broker::handle {

// In start.
void join(Request& r, msg::Hello& m);  // hello: a session under the name, new or resumed -> joined
void refuse_not_joined(Request& r, const msg::Message& m);

// In any state.
void welcome_observer(Request& r, msg::Watch& m);  // watch: the welcome, no session
void users(Request& r, msg::Who& m);               // who: the snapshot
void beat(Request& r, msg::Sync& m);               // sync: an extra beat on PUB
void history(Request& r, msg::History& m);         // kept broadcasts (the store thread answers)
void search(Request& r, msg::Search& m);
void refuse_unknown_type(Request& r, const msg::Message& m);

// In joined.
void refuse_second_hello(Request& r, msg::Hello& m);
void user_info(Request& r, msg::Info& m);
void set_status(Request& r, msg::SetStatus& m);
void broadcast(Request& r, msg::Say& m);
void whisper(Request& r, msg::Whisper& m);
void hold(Request& r, msg::Whisper& m);  // to someone offline: kept if the name has an owner
void pong(Request& r, msg::Ping& m);
void confirm(Request& r, msg::Got& m);  // got: private messages arrived
void leave(Request& r, msg::Bye& m);  // bye -> start
void lose(Request& r);                // expiry -> start

}  // namespace charla::broker::handle
