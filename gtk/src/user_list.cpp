#include "user_list.hpp"

#include "labels.hpp"

#include <glibmm/markup.h>
#include <gtkmm/menuitem.h>

namespace charla::gtk {
namespace {

const char* colour(const client::OnlineUser& u) {
  switch (u.status) {
    case msg::Status::activo: return "#2e7d32";
    case msg::Status::ocupado: return "#c62828";
    case msg::Status::inactivo: return "#9e9e9e";
  }
  return "#9e9e9e";
}

}  // namespace

UserList::UserList(Action start_private, Action show_info)
    : Gtk::Box(Gtk::ORIENTATION_VERTICAL, 6),
      store_(Gtk::ListStore::create(cols_)),
      private_(labels::kPrivate),
      info_(labels::kInfo),
      start_private_(std::move(start_private)),
      show_info_(std::move(show_info)) {
  title_.set_xalign(0);
  title_.set_markup("<b>" + Glib::Markup::escape_text(Glib::ustring::compose(labels::kOnline, 0)) + "</b>");
  pack_start(title_, Gtk::PACK_SHRINK);

  tree_.set_model(store_);
  tree_.set_headers_visible(false);
  tree_.get_accessible()->set_name(labels::kUserList);
  {
    auto* mark = Gtk::make_managed<Gtk::CellRendererText>();
    const int n = tree_.append_column("", *mark);
    tree_.get_column(n - 1)->add_attribute(mark->property_text(), cols_.mark);
    tree_.get_column(n - 1)->add_attribute(mark->property_foreground(), cols_.colour);
  }
  tree_.append_column("", cols_.shown);
  {
    auto* status = Gtk::make_managed<Gtk::CellRendererText>();
    status->property_scale() = 0.85;
    status->property_foreground() = "#666666";
    const int n = tree_.append_column("", *status);
    tree_.get_column(n - 1)->add_attribute(status->property_text(), cols_.status);
  }
  tree_.signal_row_activated().connect([this](const Gtk::TreeModel::Path& path, Gtk::TreeViewColumn*) {
    if (auto it = store_->get_iter(path)) start_private_(Glib::ustring((*it)[cols_.name]));
  });
  tree_.signal_button_press_event().connect(sigc::mem_fun(*this, &UserList::on_button), false);
  scroll_.add(tree_);
  scroll_.set_policy(Gtk::POLICY_NEVER, Gtk::POLICY_AUTOMATIC);
  scroll_.set_vexpand(true);
  scroll_.set_shadow_type(Gtk::SHADOW_IN);
  pack_start(scroll_, Gtk::PACK_EXPAND_WIDGET);

  private_.set_tooltip_text(labels::kPrivateTip);
  info_.set_tooltip_text(labels::kInfoTip);
  private_.signal_clicked().connect([this] {
    if (const auto n = selected(); !n.empty()) start_private_(n);
  });
  info_.signal_clicked().connect([this] {
    if (const auto n = selected(); !n.empty()) show_info_(n);
  });
  buttons_.pack_start(private_, Gtk::PACK_EXPAND_WIDGET);
  buttons_.pack_start(info_, Gtk::PACK_EXPAND_WIDGET);
  pack_start(buttons_, Gtk::PACK_SHRINK);

  auto* to = Gtk::make_managed<Gtk::MenuItem>(labels::kMenuPrivate);
  auto* about = Gtk::make_managed<Gtk::MenuItem>(labels::kMenuInfo);
  to->signal_activate().connect([this] {
    if (const auto n = selected(); !n.empty()) start_private_(n);
  });
  about->signal_activate().connect([this] {
    if (const auto n = selected(); !n.empty()) show_info_(n);
  });
  menu_.append(*to);
  menu_.append(*about);
  menu_.show_all();
  menu_.attach_to_widget(tree_);
}

std::string UserList::selected() {
  const auto it = tree_.get_selection()->get_selected();
  if (!it) return {};
  return Glib::ustring((*it)[cols_.name]);
}

// A right click selects the row under the pointer, then opens the menu.
bool UserList::on_button(GdkEventButton* e) {
  if (e->type != GDK_BUTTON_PRESS || e->button != 3) return false;
  Gtk::TreeModel::Path path;
  if (!tree_.get_path_at_pos(static_cast<int>(e->x), static_cast<int>(e->y), path)) return false;
  tree_.get_selection()->select(path);
  menu_.popup_at_pointer(reinterpret_cast<GdkEvent*>(e));
  return true;
}

void UserList::set_users(const std::vector<client::OnlineUser>& users) {
  const auto keep = selected();
  store_->clear();
  names_.clear();
  for (const auto& u : users) {
    auto row = *store_->append();
    row[cols_.mark] = "●";
    row[cols_.colour] = colour(u);
    row[cols_.shown] = u.me ? Glib::ustring::compose(labels::kYou, Glib::ustring(u.name)) : Glib::ustring(u.name);
    const Glib::ustring status(std::string(msg::to_string(u.status)));
    row[cols_.status] = u.idle_by_broker ? Glib::ustring::compose(labels::kIdleStatus, status) : status;
    row[cols_.name] = u.name;
    names_.push_back(u.name);
    if (u.name == keep) tree_.get_selection()->select(row);
  }
  title_.set_markup("<b>" + Glib::Markup::escape_text(Glib::ustring::compose(labels::kOnline, users.size())) +
                    "</b>");
}

void UserList::set_live(bool live) { tree_.set_sensitive(live); }

}  // namespace charla::gtk
