#include "connect_window.hpp"

#include "labels.hpp"

#include <charla/msg/names.hpp>

#include <glibmm/markup.h>

#include <charconv>

namespace charla::gtk {

ConnectWindow::ConnectWindow(const JoinForm& initial, Join join) : join_(std::move(join)), join_button_(labels::kJoin) {
  set_title(labels::kConnectTitle);
  set_default_size(440, -1);
  set_resizable(false);
  box_.set_border_width(16);
  intro_.set_text(labels::kConnectIntro);
  intro_.set_line_wrap(true);
  intro_.set_xalign(0);
  box_.pack_start(intro_, Gtk::PACK_SHRINK);

  grid_.set_row_spacing(8);
  grid_.set_column_spacing(10);
  add_row(0, labels::kName, name_);
  add_row(1, labels::kHost, host_);
  add_row(2, labels::kPort, port_);
  add_row(3, labels::kServerKey, key_);
  name_.set_text(initial.name);
  name_.set_max_length(24);
  host_.set_text(initial.host.empty() ? "127.0.0.1" : initial.host);
  port_.set_text(std::to_string(initial.port));
  port_.set_input_purpose(Gtk::INPUT_PURPOSE_DIGITS);
  key_.set_text(initial.server_key);
  key_.set_placeholder_text(labels::kServerKeyHint);
  box_.pack_start(grid_, Gtk::PACK_SHRINK);

  // The reason a join failed: plain text (it may quote what the user typed), red, wrapped.
  error_.set_line_wrap(true);
  error_.set_xalign(0);
  error_.set_selectable(true);
  error_.set_no_show_all(true);
  box_.pack_start(error_, Gtk::PACK_SHRINK);

  actions_.pack_end(join_button_, Gtk::PACK_SHRINK);
  actions_.pack_end(spinner_, Gtk::PACK_SHRINK);
  box_.pack_start(actions_, Gtk::PACK_SHRINK);
  join_button_.set_can_default(true);
  join_button_.signal_clicked().connect(sigc::mem_fun(*this, &ConnectWindow::submit));
  for (auto* e : {&name_, &host_, &port_, &key_}) e->signal_activate().connect(sigc::mem_fun(*this, &ConnectWindow::submit));

  add(box_);
  show_all_children();
  name_.grab_focus();
}

void ConnectWindow::add_row(int row, const char* label, Gtk::Entry& entry) {
  auto* l = Gtk::make_managed<Gtk::Label>(label);
  l->set_xalign(1);
  l->set_mnemonic_widget(entry);
  entry.get_accessible()->set_name(label);
  entry.set_hexpand(true);
  grid_.attach(*l, 0, row);
  grid_.attach(entry, 1, row);
}

void ConnectWindow::submit() {
  if (!join_button_.get_sensitive()) return;
  JoinForm f;
  f.name = name_.get_text();
  f.host = host_.get_text();
  f.server_key = key_.get_text();
  const std::string port = port_.get_text();
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (f.name.empty()) return refused(labels::kNoName);
  if (const auto problem = msg::name_problem(f.name); !problem.empty()) return refused("nombre no válido: " + problem);
  if (f.host.empty()) return refused(labels::kNoHost);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return refused(labels::kBadPort);
  }
  f.port = static_cast<std::uint16_t>(value);
  busy();
  join_(f);
}

void ConnectWindow::busy() {
  error_.hide();
  join_button_.set_sensitive(false);
  join_button_.set_label(labels::kJoining);
  spinner_.show();
  spinner_.start();
}

void ConnectWindow::refused(const std::string& why) {
  spinner_.stop();
  spinner_.hide();
  join_button_.set_sensitive(true);
  join_button_.set_label(labels::kJoin);
  error_.set_markup("<span foreground=\"#c62828\">" + Glib::Markup::escape_text(why) + "</span>");
  error_.show();
  name_.grab_focus();
}

}  // namespace charla::gtk
