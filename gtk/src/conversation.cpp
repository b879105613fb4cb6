#include "conversation.hpp"

#include "labels.hpp"

#include <charla/client/format.hpp>

#include <glibmm/ustring.h>

namespace charla::gtk {
namespace {

std::string stamp(std::uint64_t ts_ms) { return "[" + client::clock_time(ts_ms, true) + "] "; }

}  // namespace

Conversation::Conversation() : buffer_(Gtk::TextBuffer::create()) {
  view_.set_buffer(buffer_);
  view_.set_editable(false);
  view_.set_cursor_visible(false);
  view_.set_wrap_mode(Gtk::WRAP_WORD_CHAR);
  view_.set_left_margin(6);
  view_.set_right_margin(6);
  view_.set_pixels_below_lines(2);
  view_.get_accessible()->set_name(labels::kConversation);

  const auto tag = [&](const char* name, auto&& style) { style(buffer_->create_tag(name)); };
  using Tag = Glib::RefPtr<Gtk::TextTag>;
  tag("time", [](Tag t) { t->property_foreground() = "#888888"; });
  tag("name", [](Tag t) { t->property_weight() = Pango::WEIGHT_BOLD, t->property_foreground() = "#1565c0"; });
  tag("own", [](Tag t) { t->property_weight() = Pango::WEIGHT_BOLD, t->property_foreground() = "#2e7d32"; });
  tag("private", [](Tag t) { t->property_weight() = Pango::WEIGHT_BOLD, t->property_foreground() = "#8e24aa"; });
  tag("private-text", [](Tag t) { t->property_background() = "#f6ecf8"; });
  tag("notice", [](Tag t) {
    t->property_foreground() = "#777777", t->property_style() = Pango::STYLE_ITALIC, t->property_scale() = 0.9;
  });
  tag("error", [](Tag t) { t->property_foreground() = "#c62828"; });
  tag("fixed", [](Tag t) { t->property_family() = "monospace", t->property_foreground() = "#555555"; });

  set_policy(Gtk::POLICY_AUTOMATIC, Gtk::POLICY_ALWAYS);
  set_hexpand(true);
  set_vexpand(true);
  Gtk::ScrolledWindow::add(view_);

  // Following is decided where the position changes, not when a line is added: GTK
  // lays new lines out (and scrolls for them) on later frames, so a line added
  // while the view still moves towards the last one found it "not at the bottom",
  // and a burst of lines left the view stuck half way. The range grows once a new
  // line is laid out ("changed"); a following view then goes straight to the end.
  get_vadjustment()->signal_value_changed().connect([this] { following_ = at_bottom(); });
  get_vadjustment()->signal_changed().connect([this] {
    const auto adj = get_vadjustment();
    if (following_) adj->set_value(adj->get_upper() - adj->get_page_size());
  });
}

bool Conversation::at_bottom() {
  const auto adj = get_vadjustment();
  return adj->get_value() >= adj->get_upper() - adj->get_page_size() - 8;
}

void Conversation::append(std::initializer_list<Piece> pieces) {
  if (buffer_->size() > 0) buffer_->insert(buffer_->end(), "\n");
  for (const auto& p : pieces) {
    // insert() takes text as text: "<b>" stays three characters, whatever Pango would make of it.
    if (p.tag == nullptr) {
      buffer_->insert(buffer_->end(), p.text);
    } else {
      buffer_->insert_with_tag(buffer_->end(), p.text, p.tag);
    }
  }
}

void Conversation::message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) {
  append({{stamp(ts), "time"}, {from, mine ? "own" : "name"}, {": " + text, nullptr}});
}

void Conversation::private_message(std::uint64_t ts, const std::string& peer, const std::string& text,
                                   bool outgoing) {
  if (outgoing) {
    const auto mark = Glib::ustring::compose(labels::kPrivateTo, Glib::ustring(peer));
    append({{stamp(ts), "time"}, {mark, "private"}, {text, "private-text"}});
  } else {
    append({{stamp(ts), "time"}, {labels::kPrivateFrom + peer, "private"}, {": " + text, "private-text"}});
  }
}

void Conversation::notice(const std::string& text) { append({{"* " + text, "notice"}}); }
void Conversation::error(const std::string& text) { append({{"! " + text, "error"}}); }
void Conversation::fixed(const std::string& text) { append({{text, "fixed"}}); }
void Conversation::clear() { buffer_->set_text(""); }

}  // namespace charla::gtk
