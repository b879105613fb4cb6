// The connect window, shown when the command line did not say everything:
// name, server, port and (optional) the broker's CURVE key. A refused join is
// said here in words; the user corrects it and tries again.
#pragma once

#include <gtkmm/applicationwindow.h>
#include <gtkmm/box.h>
#include <gtkmm/button.h>
#include <gtkmm/entry.h>
#include <gtkmm/grid.h>
#include <gtkmm/label.h>
#include <gtkmm/spinner.h>

#include <cstdint>
#include <functional>
#include <string>

namespace charla::gtk {

struct JoinForm {
  std::string name, host, server_key;
  std::uint16_t port = 8082;
};

class ConnectWindow : public Gtk::ApplicationWindow {
 public:
  // `join` is called with a form that passed the local checks.
  using Join = std::function<void(const JoinForm&)>;
  ConnectWindow(const JoinForm& initial, Join join);

  void busy();                           // joining: the form waits
  void refused(const std::string& why);  // could not join: say why, let the user try again

 private:
  void submit();
  void add_row(int row, const char* label, Gtk::Entry& entry);

  Join join_;
  Gtk::Box box_{Gtk::ORIENTATION_VERTICAL, 10};
  Gtk::Label intro_;
  Gtk::Grid grid_;
  Gtk::Entry name_, host_, port_, key_;
  Gtk::Label error_;
  Gtk::Box actions_{Gtk::ORIENTATION_HORIZONTAL, 8};
  Gtk::Spinner spinner_;
  Gtk::Button join_button_;
};

}  // namespace charla::gtk
