// charla-gtk's two windows and its network thread: the connect window until a
// join succeeds (or at once, when the command line said everything), then the
// chat window; leaving (window closed, /salir, Ctrl-Q, SIGTERM) says bye and
// ends the program once the broker has answered.
#pragma once

#include "chat_thread.hpp"
#include "connect_window.hpp"
#include "main_window.hpp"

#include <charla/client/security.hpp>

#include <gtkmm/application.h>

#include <memory>

namespace charla::gtk {

class App {
 public:
  App(Glib::RefPtr<Gtk::Application> app, JoinForm form, std::string client_key, double timeout_s);

  // The application's activate: join at once if the form is complete, else ask.
  void activate();
  // Leave cleanly, from wherever the user or the system asked.
  void leave();
  int exit_code() const noexcept { return exit_code_; }

 private:
  void join(const JoinForm& f);
  void joined();
  void failed(const std::string& why);
  void finished(int code);
  void show_only(Gtk::Window& w);

  Glib::RefPtr<Gtk::Application> app_;
  JoinForm form_;
  std::string client_key_;
  double timeout_s_;
  ConnectWindow connect_;
  MainWindow main_;
  std::unique_ptr<ChatThread> thread_;
  bool joined_ = false, leaving_ = false;
  int exit_code_ = 0;
};

}  // namespace charla::gtk
