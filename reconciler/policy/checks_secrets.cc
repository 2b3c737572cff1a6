// secret-in-git and credential-literal: values that must not live in a config repository.
// A credential-like name is one whose letters and digits (case folded) contain password,
// passwd, token, secret, apikey, privatekey or accesskey, unless they end in file, path, name,
// ref or url (PASSWORD_FILE points at a secret, it is none). Booleans and plain numbers are not
// credentials (ENABLE_TOKEN_AUTH: "true").
#include <cctype>

#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy::detail {
namespace {

bool looks_like_literal_credential(std::string_view value) {
  value = trim(value);
  if (value.empty()) return false;
  if (value == "true" || value == "false" || value == "yes" || value == "no" || value == "on" || value == "off") {
    return false;
  }
  for (char ch : value) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return true;
  }
  return false;  // a plain number: a port, a TTL
}

}  // namespace

bool looks_like_credential_name(std::string_view name) {
  std::string folded;
  folded.reserve(name.size());
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch))) folded += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  std::string_view f = folded;
  for (std::string_view suffix : {"file", "path", "name", "ref", "url"}) {
    if (f.ends_with(suffix)) return false;
  }
  for (std::string_view word : {"password", "passwd", "token", "secret", "apikey", "privatekey", "accesskey"}) {
    if (f.find(word) != std::string_view::npos) return true;
  }
  return false;
}

void check_secret(Reporter& r, const Json& object) {
  if (!r.on(Check::kSecretInGit)) return;
  for (const char* field : {"data", "stringData"}) {
    const Json* values = member(object, field);
    if (!values || !values->is_object() || values->empty()) continue;
    std::string keys;
    for (const auto& [key, value] : values->items()) keys += (keys.empty() ? "" : ", ") + key;
    r.report(Check::kSecretInGit, field,
             "a Secret with " + std::string(field) + " (" + keys + ") is committed to git, readable by everyone who can clone it");
  }
}

void check_config_map(Reporter& r, const Json& object) {
  if (!r.on(Check::kCredentialLiteral)) return;
  const Json* data = member(object, "data");
  if (!data || !data->is_object()) return;
  for (const auto& [key, value] : data->items()) {
    if (!value.is_string() || !looks_like_credential_name(key) ||
        !looks_like_literal_credential(value.get_ref<const std::string&>())) {
      continue;
    }
    r.report(Check::kCredentialLiteral, "data." + key, "key " + in_quotes(key) + " holds a literal credential-like value");
  }
}

void check_env(Reporter& r, const ContainerRef& c) {
  if (!r.on(Check::kCredentialLiteral)) return;
  const Json* env = member(c.container, "env");
  if (!env || !env->is_array()) return;
  for (size_t i = 0; i < env->size(); ++i) {
    const Json& var = (*env)[i];
    std::string_view name = string_member(var, "name");
    std::string_view value = string_member(var, "value");  // valueFrom (a secretKeyRef) is fine
    if (!looks_like_credential_name(name) || !looks_like_literal_credential(value)) continue;
    r.report(Check::kCredentialLiteral, c.path + ".env[" + std::to_string(i) + "].value",
             "container " + in_quotes(c.name) + " env " + in_quotes(name) + " is a literal credential-like value");
  }
}

}  // namespace ferry::reconciler::policy::detail
