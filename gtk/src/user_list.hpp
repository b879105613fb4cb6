// Who is online, at the side of the conversation: one row per user with a
// coloured mark and their status (INACTIVO by idleness said as such), the
// user's own row marked. Double-click, the context menu or the buttons below
// ask for a private message or for /info. The rows come whole from the chat
// core's users_changed (the Clone-pattern mirror of the client library).
#pragma once

#include <charla/client/chat_core.hpp>

#include <gtkmm/box.h>
#include <gtkmm/button.h>
#include <gtkmm/label.h>
#include <gtkmm/liststore.h>
#include <gtkmm/menu.h>
#include <gtkmm/scrolledwindow.h>
#include <gtkmm/treeview.h>

#include <functional>
#include <string>
#include <vector>

namespace charla::gtk {

class UserList : public Gtk::Box {
 public:
  using Action = std::function<void(const std::string& name)>;
  UserList(Action start_private, Action show_info);

  void set_users(const std::vector<client::OnlineUser>& users);
  // Greyed out while the link is down: the list may be out of date.
  void set_live(bool live);
  // The names online, for completion.
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  struct Columns : Gtk::TreeModelColumnRecord {
    Columns() { add(mark), add(shown), add(status), add(colour), add(name); }
    Gtk::TreeModelColumn<Glib::ustring> mark, shown, status, colour, name;  // name: as the broker knows it
  };
  std::string selected();
  bool on_button(GdkEventButton* e);

  Columns cols_;
  Glib::RefPtr<Gtk::ListStore> store_;
  Gtk::Label title_;
  Gtk::ScrolledWindow scroll_;
  Gtk::TreeView tree_;
  Gtk::Box buttons_{Gtk::ORIENTATION_HORIZONTAL, 6};
  Gtk::Button private_, info_;
  Gtk::Menu menu_;
  Action start_private_, show_info_;
  std::vector<std::string> names_;
};

}  // namespace charla::gtk
