// The conversation: one line per event, with its time, the sender's name, and
// a style per kind — own messages, private ones (marked in words too), notices
// quieter, errors in red. Text goes into the buffer as text, never as markup.
// Long lines wrap; the view follows new lines unless the user has scrolled up.
#pragma once

#include <gtkmm/scrolledwindow.h>
#include <gtkmm/textview.h>

#include <cstdint>
#include <string>

namespace charla::gtk {

class Conversation : public Gtk::ScrolledWindow {
 public:
  Conversation();

  void message(std::uint64_t ts_ms, const std::string& from, const std::string& text, bool mine);
  void private_message(std::uint64_t ts_ms, const std::string& peer, const std::string& text, bool outgoing);
  void notice(const std::string& text);
  void error(const std::string& text);
  void fixed(const std::string& text);  // columns (/ayuda), in a monospace font
  void clear();

 private:
  struct Piece {
    std::string text;
    const char* tag;  // nullptr: plain
  };
  void append(std::initializer_list<Piece> pieces);
  bool at_bottom();

  Gtk::TextView view_;
  Glib::RefPtr<Gtk::TextBuffer> buffer_;
  // Whether the view keeps to the bottom: true until the user scrolls up, and
  // again once they scroll back down.
  bool following_ = true;
};

}  // namespace charla::gtk
