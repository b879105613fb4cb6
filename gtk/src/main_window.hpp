// The chat window: the link's state and the user's own status on top, the
// conversation with the list of who is online beside it, one entry line below
// (the console's commands, Tab completes commands and @names). It is the chat
// core's view (ChatView), called in the GUI thread by ChatThread; what the
// user types goes back through `send`.
#pragma once

#include "conversation.hpp"
#include "user_list.hpp"

#include <charla/client/chat_core.hpp>

#include <gtkmm/applicationwindow.h>
#include <gtkmm/box.h>
#include <gtkmm/button.h>
#include <gtkmm/comboboxtext.h>
#include <gtkmm/entry.h>
#include <gtkmm/label.h>
#include <gtkmm/messagedialog.h>
#include <gtkmm/paned.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace charla::gtk {

class MainWindow : public Gtk::ApplicationWindow, public client::ChatView {
 public:
  using Send = std::function<void(const std::string& line)>;
  explicit MainWindow(Send send);

  // A new session: the name, an empty conversation.
  void reset(const std::string& name);
  void leaving();  // the user asked to leave: say so while the broker answers

  // ChatView
  void message(std::uint64_t ts_ms, const std::string& from, const std::string& text, bool mine) override;
  void private_message(std::uint64_t ts_ms, const std::string& peer, const std::string& text, bool outgoing) override;
  void notice(const std::string& text) override;
  void error(const std::string& text) override;
  void help(const std::vector<std::string>& lines) override;
  void link_state(const client::Link& link) override;
  void own_status(msg::Status status, bool by_idleness) override;
  void users_changed(const std::vector<client::OnlineUser>& users) override;
  void user_info(const msg::UserInfo& info) override;
  bool name_taken(const std::string& name) override;

 private:
  void submit();
  void status_chosen();
  bool on_key(GdkEventKey* e);
  void complete();
  void start_private(const std::string& name);
  void ask_info(const std::string& name);
  void show_link(const std::string& text, const char* colour);

  Send send_;
  std::string me_;
  msg::Status my_status_ = msg::Status::activo;
  bool showing_status_ = false;  // set_active() from the broker's status, not the user's choice
  std::optional<std::string> info_wanted_;  // asked from the list: answer in a dialog
  Gtk::Box outer_{Gtk::ORIENTATION_VERTICAL, 6};
  Gtk::Box top_{Gtk::ORIENTATION_HORIZONTAL, 8};
  Gtk::Label link_;
  Gtk::Label status_label_;
  Gtk::ComboBoxText status_;
  Gtk::Label status_note_;
  Gtk::Paned paned_{Gtk::ORIENTATION_HORIZONTAL};
  Conversation conversation_;
  UserList users_;
  Gtk::Box bottom_{Gtk::ORIENTATION_HORIZONTAL, 6};
  Gtk::Entry entry_;
  Gtk::Button send_button_;
  std::unique_ptr<Gtk::MessageDialog> info_dialog_;
};

}  // namespace charla::gtk
