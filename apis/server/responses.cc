#include "apis/server/responses.h"

#include "reconciler/source/credentials.h"

namespace ferry::apis {

http::Response json_response(int status, const Json& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  // Invalid UTF-8 in a message must not turn an answer into an exception.
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  r.headers.push_back({"Cache-Control", "no-store"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  return r;
}

int api_http_code(Reason reason) {
  switch (reason) {
    case Reason::kInvalid:
    case Reason::kBadRequest:
      return 400;
    case Reason::kTimeout:
      return 504;
    default:
      return reason_http_code(reason);
  }
}

http::Response error_response(int code, std::string_view error, std::string_view message) {
  return json_response(code, {{"error", error}, {"code", code}, {"message", message}});
}

http::Response error_response(const Status& status) {
  int code = api_http_code(status.reason());
  const char* name = status.is(Reason::kInvalid) ? "BadRequest" : reason_name(status.reason());
  return error_response(code, name, status.message());
}

Result<Json> json_body(const http::Request& request) {
  if (request.body.empty()) return Json::object();
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::BadRequest("the request body is not valid JSON");
  if (!body.is_object()) return Status::BadRequest("the request body must be a JSON object");
  return body;
}

bool valid_object_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return name.find("..") == std::string_view::npos;
}

Json without_url_credentials(Json doc) {
  if (doc.is_string()) {
    const std::string& text = doc.get_ref<const std::string&>();
    if (text.find("://") != std::string::npos && text.find('@') != std::string::npos) {
      return reconciler::redact(text, {});
    }
  } else if (doc.is_structured()) {
    for (auto& child : doc) child = without_url_credentials(std::move(child));
  }
  return doc;
}

bool query_flag(const http::Request& request, std::string_view name, bool fallback) {
  if (!request.has_query_param(name)) return fallback;
  std::string value = request.query_param(name);
  return value.empty() || value == "true" || value == "1" || value == "yes";
}

}  // namespace ferry::apis
