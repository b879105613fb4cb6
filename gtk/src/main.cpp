// charla-gtk: the graphical client. Options and start-up; the windows are in
// app.cpp, the network in chat_thread.cpp, the chat itself in the client library.
#include "app.hpp"
#include "labels.hpp"

#include <charla/client/security.hpp>
#include <charla/version.hpp>

#include <CLI/CLI.hpp>

#include <glib-unix.h>
#include <gtk/gtk.h>

#include <csignal>
#include <iostream>

namespace {

gboolean on_signal(gpointer app) {
  static_cast<charla::gtk::App*>(app)->leave();
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace charla;
  gtk::JoinForm form;
  double timeout_s = 5;
  client::SecurityArgs security;

  CLI::App cli{"charla-gtk: cliente gráfico (GTK) del chat. Sin usuario o sin servidor, pregunta en una ventana.\n"
               "  texto            envía a todos\n"
               "  @usuario texto   mensaje privado (o doble clic en un nombre de la lista)\n"
               "  /usuarios /info <usuario> /estado ACTIVO|OCUPADO|INACTIVO /ayuda /salir\n"
               "Ctrl-Q, /salir o cerrar la ventana salen del chat."};
  cli.set_version_flag("--version", std::string("charla-gtk ") + kVersionString);
  cli.add_option("usuario,-u,--user", form.name, "Tu nombre en el chat");
  cli.add_option("host,-H,--host", form.host, "Servidor (nombre o IP)");
  cli.add_option("puerto,-p,--port", form.port, "Puerto de comandos del servidor")->capture_default_str();
  cli.add_option("--timeout", timeout_s, "Segundos de espera al conectar")->capture_default_str()->check(CLI::Range(0.1, 600.0));
  client::add_security_options(cli, security);
  CLI11_PARSE(cli, argc, argv);
  form.server_key = security.server_key;

  std::signal(SIGPIPE, SIG_IGN);
  if (!gtk_init_check(nullptr, nullptr)) {
    std::cerr << gtk::labels::kNoDisplay << "\n";
    return 1;
  }
  // Not unique: every charla-gtk is a user of its own, even on one desktop.
  auto app = Gtk::Application::create(gtk::labels::kAppId, Gio::APPLICATION_NON_UNIQUE);
  gtk::App chat(app, form, security.client_key, timeout_s);
  app->signal_activate().connect([&] { chat.activate(); });
  app->add_action("quit", [&] { chat.leave(); });
  app->set_accel_for_action("app.quit", "<Primary>q");
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) g_unix_signal_add(sig, on_signal, &chat);
  const int status = app->run();
  return status != 0 ? status : chat.exit_code();
}
