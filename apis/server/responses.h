// How the REST API answers: JSON bodies, errors as {"error", "code", "message"} (docs/api.md), and
// the small request readers every route needs. Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "apis/http/server.h"
#include "apis/types/status.h"

namespace ferry::apis {

using Json = nlohmann::json;

http::Response json_response(int status, const Json& body);
// An error answer; the HTTP code follows the reason (Invalid and BadRequest are 400 here).
http::Response error_response(const Status& status);
http::Response error_response(int code, std::string_view error, std::string_view message);
int api_http_code(Reason reason);

// The request body as a JSON object ({} when empty); BadRequest naming the problem otherwise.
Result<Json> json_body(const http::Request& request);
// Whether `name` is a Kubernetes object name (DNS-1123 subdomain): no '/', "..", upper case, ...
bool valid_object_name(std::string_view name);
// `doc` with every URL password (`https://user:token@host/…`, as a repoURL may carry one) masked,
// for objects the API answers with (DESIGN.md: credentials never reach an answer or the UI).
Json without_url_credentials(Json doc);

// A query parameter read as a boolean ("true"/"1"/"" present → true); `fallback` when absent.
bool query_flag(const http::Request& request, std::string_view name, bool fallback);

}  // namespace ferry::apis
