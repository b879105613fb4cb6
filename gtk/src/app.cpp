#include "app.hpp"

#include "labels.hpp"

#include <glibmm/main.h>

namespace charla::gtk {

App::App(Glib::RefPtr<Gtk::Application> app, JoinForm form, std::string client_key, double timeout_s)
    : app_(std::move(app)),
      form_(std::move(form)),
      client_key_(std::move(client_key)),
      timeout_s_(timeout_s),
      connect_(form_, [this](const JoinForm& f) { join(f); }),
      main_([this](const std::string& line) {
        if (thread_) thread_->line(line);
      }) {
  main_.signal_delete_event().connect([this](GdkEventAny*) {
    leave();
    return true;  // the window goes when the broker has said goodbye
  });
  connect_.signal_delete_event().connect([this](GdkEventAny*) {
    leave();
    return true;
  });
}

void App::activate() {
  if (!form_.name.empty() && !form_.host.empty()) {
    app_->add_window(main_);  // not shown yet, but it keeps the application running while it joins
    connect_.busy();
    join(form_);
  } else {
    show_only(connect_);
  }
}

void App::show_only(Gtk::Window& w) {
  app_->add_window(w);  // gtkmm lets go of a window when it is hidden
  w.present();
  for (auto* other : {static_cast<Gtk::Window*>(&connect_), static_cast<Gtk::Window*>(&main_)}) {
    if (other != &w) other->hide();
  }
}

void App::join(const JoinForm& f) {
  form_ = f;
  client::Connection::Options o;
  o.host = f.host;
  o.port = f.port;
  o.name = f.name;
  o.timeout = client::milliseconds(static_cast<long>(timeout_s_ * 1000));
  try {
    client::apply_security({f.server_key, client_key_}, o);
  } catch (const std::exception& e) {
    return failed(e.what());
  }
  thread_ = std::make_unique<ChatThread>(o, main_,
                                         ChatThread::Callbacks{[this] { joined(); },
                                                               [this](const std::string& why) { failed(why); },
                                                               [this](int code) { finished(code); }});
}

void App::joined() {
  joined_ = true;
  main_.reset(form_.name);
  show_only(main_);
  if (leaving_) {  // asked to leave while joining
    main_.leaving();
    thread_->leave();
  }
}

void App::failed(const std::string& why) {
  // The thread has ended; let it go once this callback (run by its dispatcher) has returned,
  // whatever the user does meanwhile (pressing Entrar again makes a new one).
  std::shared_ptr<ChatThread> ended(std::move(thread_));
  Glib::signal_idle().connect_once([ended] {});
  if (leaving_) return app_->quit();
  connect_.refused(Glib::ustring::compose(labels::kCouldNotJoin, Glib::ustring(form_.name), Glib::ustring(why)));
  show_only(connect_);
}

void App::finished(int code) {
  exit_code_ = code;
  app_->quit();
}

void App::leave() {
  if (leaving_) return;
  leaving_ = true;
  if (thread_ && joined_) {
    main_.leaving();
    thread_->leave();
  } else if (!thread_) {
    app_->quit();
  }
  // else: still joining; joined() or failed() finish the job.
}

}  // namespace charla::gtk
