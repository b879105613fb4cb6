#include "main_window.hpp"

#include "labels.hpp"

#include <charla/client/commands.hpp>
#include <charla/client/format.hpp>

#include <charla/msg/names.hpp>
#include <charla/msg/text.hpp>

#include <gdk/gdkkeysyms.h>
#include <glibmm/main.h>
#include <glibmm/markup.h>

#include <algorithm>

namespace charla::gtk {
namespace {

constexpr msg::Status kStatuses[] = {msg::Status::activo, msg::Status::ocupado, msg::Status::inactivo};

int index_of(msg::Status s) {
  for (int i = 0; i < 3; ++i) {
    if (kStatuses[i] == s) return i;
  }
  return 0;
}

// The longest beginning every candidate shares.
std::string common_prefix(const std::vector<std::string>& v) {
  std::string p = v.front();
  for (const auto& s : v) {
    std::size_t i = 0;
    while (i < p.size() && i < s.size() && p[i] == s[i]) ++i;
    p.resize(i);
  }
  return p;
}

}  // namespace

MainWindow::MainWindow(Send send)
    : send_(std::move(send)),
      users_([this](const std::string& n) { start_private(n); }, [this](const std::string& n) { ask_info(n); }),
      send_button_(labels::kSend) {
  set_default_size(900, 560);
  outer_.set_border_width(8);

  link_.set_xalign(0);
  link_.set_hexpand(true);
  link_.set_ellipsize(Pango::ELLIPSIZE_END);
  status_label_.set_text(labels::kStatus);
  for (auto s : kStatuses) status_.append(std::string(msg::to_string(s)));
  status_.set_active(0);
  // Its accessible name is the status it shows (GTK's default for a combo box); the description says what it is.
  status_.get_accessible()->set_description(labels::kStatusSelector);
  status_.signal_changed().connect(sigc::mem_fun(*this, &MainWindow::status_chosen));
  status_note_.set_text(labels::kByIdleness);
  status_note_.set_no_show_all(true);
  top_.pack_start(link_, Gtk::PACK_EXPAND_WIDGET);
  top_.pack_start(status_label_, Gtk::PACK_SHRINK);
  top_.pack_start(status_, Gtk::PACK_SHRINK);
  top_.pack_start(status_note_, Gtk::PACK_SHRINK);
  outer_.pack_start(top_, Gtk::PACK_SHRINK);

  users_.set_size_request(220, -1);
  paned_.pack1(conversation_, true, false);
  paned_.pack2(users_, false, false);
  outer_.pack_start(paned_, Gtk::PACK_EXPAND_WIDGET);

  entry_.set_placeholder_text(labels::kEntryHint);
  entry_.get_accessible()->set_name(labels::kEntry);
  entry_.set_hexpand(true);
  entry_.signal_activate().connect(sigc::mem_fun(*this, &MainWindow::submit));
  entry_.signal_key_press_event().connect(sigc::mem_fun(*this, &MainWindow::on_key), false);
  send_button_.signal_clicked().connect(sigc::mem_fun(*this, &MainWindow::submit));
  bottom_.pack_start(entry_, Gtk::PACK_EXPAND_WIDGET);
  bottom_.pack_start(send_button_, Gtk::PACK_SHRINK);
  outer_.pack_start(bottom_, Gtk::PACK_SHRINK);

  add(outer_);
  show_all_children();
}

void MainWindow::reset(const std::string& name) {
  me_ = name;
  set_title(Glib::ustring::compose(labels::kMainTitle, Glib::ustring(name)));
  conversation_.clear();
  users_.set_users({});
  entry_.set_sensitive(true);
  entry_.grab_focus();
}

void MainWindow::leaving() {
  show_link(labels::kLeaving, "#777777");
  entry_.set_sensitive(false);
}

void MainWindow::submit() {
  const std::string text = entry_.get_text();
  if (text.empty()) return;
  entry_.set_text("");
  send_(text);
}

// The user picked a status: ask the broker. The selector goes back to the
// status the broker assigned until the broker says it changed (own_status).
void MainWindow::status_chosen() {
  if (showing_status_) return;
  const int i = status_.get_active_row_number();
  if (i < 0 || i > 2 || kStatuses[i] == my_status_) return;
  send_("/estado " + std::string(msg::to_string(kStatuses[i])));
  Glib::signal_idle().connect_once([this] { own_status(my_status_, status_note_.get_visible()); });
}

void MainWindow::start_private(const std::string& name) {
  entry_.set_text("@" + name + " ");
  entry_.grab_focus_without_selecting();
  entry_.set_position(-1);
}

void MainWindow::ask_info(const std::string& name) {
  info_wanted_ = msg::fold_name(name);
  send_("/info " + name);
}

bool MainWindow::on_key(GdkEventKey* e) {
  if (e->keyval != GDK_KEY_Tab || (e->state & (GDK_CONTROL_MASK | GDK_MOD1_MASK)) != 0) return false;
  if (entry_.get_text().empty()) return false;  // Tab moves the focus as usual
  complete();
  return true;
}

// Tab: completes the word before the cursor, as the console does.
void MainWindow::complete() {
  const Glib::ustring text = entry_.get_text();
  const auto cursor = static_cast<Glib::ustring::size_type>(entry_.get_position());
  const auto before = text.substr(0, cursor);
  const auto space = before.find_last_of(' ');
  const auto start = space == Glib::ustring::npos ? 0 : space + 1;
  const std::string word = before.substr(start);
  const bool first = before.substr(0, start).find_first_not_of(' ') == Glib::ustring::npos;
  const auto matches = client::complete_word(word, first, users_.names());
  if (matches.empty()) return;
  std::string replacement = matches.size() == 1 ? matches.front() + " " : common_prefix(matches);
  if (matches.size() > 1 && replacement.size() <= word.size()) {
    std::string all;
    for (const auto& m : matches) all += (all.empty() ? "" : ", ") + m;
    conversation_.notice(Glib::ustring::compose(labels::kCompletions, Glib::ustring(all)));
    return;
  }
  const auto rest = text.substr(cursor);
  entry_.set_text(text.substr(0, start) + replacement + rest);
  entry_.set_position(static_cast<int>(Glib::ustring(text.substr(0, start) + replacement).size()));
}

void MainWindow::message(std::uint64_t ts, const std::string& from, const std::string& text, bool mine) {
  conversation_.message(ts, from, text, mine);
}

void MainWindow::private_message(std::uint64_t ts, const std::string& peer, const std::string& text, bool outgoing) {
  conversation_.private_message(ts, peer, text, outgoing);
}

void MainWindow::notice(const std::string& text) { conversation_.notice(text); }
void MainWindow::error(const std::string& text) { conversation_.error(text); }

void MainWindow::help(const std::vector<std::string>& lines) {
  for (const auto& l : lines) conversation_.fixed(l);
}

void MainWindow::show_link(const std::string& text, const char* colour) {
  link_.set_markup("<span foreground=\"" + std::string(colour) + "\">●</span> " + Glib::Markup::escape_text(text));
}

void MainWindow::link_state(const client::Link& link) {
  using S = client::Link::State;
  struct Look {
    const char* label;  // %1: the broker's address
    const char* colour;
    bool bad;           // said in the conversation as an error
  };
  const auto look = [](S s) -> Look {
    switch (s) {
      case S::connected: return {labels::kLinkConnected, "#2e7d32", false};
      case S::reconnecting: return {labels::kLinkReconnecting, "#ef6c00", true};
      case S::reconnected: return {labels::kLinkReconnected, "#2e7d32", false};
      case S::joining: return {labels::kLinkJoining, "#ef6c00", false};
      case S::name_lost: return {labels::kLinkNameLost, "#c62828", true};
    }
    return {labels::kLinkConnected, "#2e7d32", false};
  }(link.state);
  show_link(Glib::ustring::compose(look.label, Glib::ustring(link.endpoint)), look.colour);
  if (look.bad) {
    conversation_.error(link.text);
  } else {
    conversation_.notice(link.text);
  }
  users_.set_live(link.state == S::connected || link.state == S::reconnected);
}

void MainWindow::own_status(msg::Status status, bool by_idleness) {
  my_status_ = status;
  showing_status_ = true;
  status_.set_active(index_of(status));
  showing_status_ = false;
  status_note_.set_visible(by_idleness && status == msg::Status::inactivo);
}

void MainWindow::users_changed(const std::vector<client::OnlineUser>& users) {
  users_.set_users(users);
  for (const auto& u : users) {
    if (u.me && u.name != me_) {  // after /nombre
      me_ = u.name;
      set_title(Glib::ustring::compose(labels::kMainTitle, Glib::ustring(me_)));
    }
  }
}

void MainWindow::user_info(const msg::UserInfo& info) {
  if (!info_wanted_ || *info_wanted_ != msg::fold_name(info.name)) return;
  info_wanted_.reset();
  const auto name = msg::printable(info.name);
  info_dialog_ = std::make_unique<Gtk::MessageDialog>(*this, Glib::ustring::compose(labels::kInfoTitle, name),
                                                      false, Gtk::MESSAGE_INFO, Gtk::BUTTONS_NONE, false);
  info_dialog_->set_title(Glib::ustring::compose(labels::kInfoTitle, name));
  info_dialog_->get_accessible()->set_name(info_dialog_->get_title());  // GTK would say "Information"
  const auto row = [](const char* what, const std::string& value) { return std::string(what) + ": " + value; };
  info_dialog_->set_secondary_text(row(labels::kInfoIp, info.ip) + "\n" +
                                   row(labels::kInfoStatus, std::string(msg::to_string(info.status))) + "\n" +
                                   row(labels::kInfoConnected, client::duration(info.connected_s)) + "\n" +
                                   row(labels::kInfoIdle, client::duration(info.idle_s)));
  info_dialog_->add_button(labels::kClose, Gtk::RESPONSE_CLOSE);
  info_dialog_->signal_response().connect([this](int) { info_dialog_->hide(); });
  info_dialog_->show();
}

bool MainWindow::name_taken(const std::string&) { return true; }

}  // namespace charla::gtk
