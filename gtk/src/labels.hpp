// Every word the window itself shows, in one place, so that a translation can
// be added here. The sentences of the conversation (joins, statuses, errors,
// /ayuda) are the chat core's, shared with the console: client/src/chat_core.cpp.
#pragma once

namespace charla::gtk::labels {

inline constexpr const char* kAppId = "org.charla.Gtk";

// The connect window.
inline constexpr const char* kConnectTitle = "charla — entrar";
inline constexpr const char* kConnectIntro = "Entra en el chat con un nombre (de 1 a 24 letras, dígitos, _ - .).";
inline constexpr const char* kName = "Nombre";
inline constexpr const char* kHost = "Servidor";
inline constexpr const char* kPort = "Puerto";
inline constexpr const char* kServerKey = "Clave del servidor";
inline constexpr const char* kServerKeyHint = "opcional: su clave pública CURVE, o un fichero que la contenga";
inline constexpr const char* kJoin = "Entrar";
inline constexpr const char* kJoining = "Conectando…";
inline constexpr const char* kBadPort = "el puerto debe ser un número entre 1 y 65535";
inline constexpr const char* kNoName = "escribe tu nombre";
inline constexpr const char* kNoHost = "escribe la dirección del servidor";
inline constexpr const char* kCouldNotJoin = "No se pudo entrar como '%1': %2";  // name, why

// The main window.
inline constexpr const char* kMainTitle = "charla — %1";  // your name
inline constexpr const char* kConversation = "Conversación";
inline constexpr const char* kEntry = "Mensaje";
inline constexpr const char* kEntryHint = "Escribe a todos; @usuario para un privado; /ayuda para los comandos";
inline constexpr const char* kSend = "Enviar";
inline constexpr const char* kStatus = "Tu estado:";
inline constexpr const char* kStatusSelector = "Tu estado";
inline constexpr const char* kByIdleness = "por inactividad";
inline constexpr const char* kOnline = "En línea (%1)";  // how many
inline constexpr const char* kUserList = "Usuarios en línea";
inline constexpr const char* kYou = "%1 (tú)";
inline constexpr const char* kPrivate = "Privado";
inline constexpr const char* kPrivateTip = "Escribir un mensaje privado al usuario elegido (o doble clic en su nombre)";
inline constexpr const char* kInfo = "Información";
inline constexpr const char* kInfoTip = "IP, estado y tiempos del usuario elegido";
inline constexpr const char* kMenuPrivate = "Mensaje privado";
inline constexpr const char* kMenuInfo = "Información";
inline constexpr const char* kIdleStatus = "%1 (por inactividad)";  // INACTIVO
inline constexpr const char* kCompletions = "coincidencias: %1";

// The link to the broker.
inline constexpr const char* kLinkConnected = "Conectado a %1";           // host:port
inline constexpr const char* kLinkReconnecting = "Reconectando con %1…";  // host:port
inline constexpr const char* kLinkReconnected = "Reconectado a %1";
inline constexpr const char* kLinkJoining = "Entrando con otro nombre en %1…";
inline constexpr const char* kLinkNameLost = "Tu nombre es de otra persona: escribe /nombre <otro>";
inline constexpr const char* kLeaving = "Saliendo…";

// In the conversation.
inline constexpr const char* kPrivateFrom = "(privado) ";
inline constexpr const char* kPrivateTo = "(privado a %1) ";

// The /info dialog.
inline constexpr const char* kInfoTitle = "Información de %1";
inline constexpr const char* kInfoIp = "IP";
inline constexpr const char* kInfoStatus = "Estado";
inline constexpr const char* kInfoConnected = "Conectado desde hace";
inline constexpr const char* kInfoIdle = "Sin actividad desde hace";
inline constexpr const char* kClose = "Cerrar";

// Start-up errors (one line on standard error).
inline constexpr const char* kNoDisplay =
    "charla-gtk: no hay pantalla gráfica (¿DISPLAY?); en un terminal usa charla";

}  // namespace charla::gtk::labels
