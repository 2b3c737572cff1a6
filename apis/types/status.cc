#include "apis/types/status.h"

namespace ferry {

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kOk: return "";
    case Reason::kNotFound: return "NotFound";
    case Reason::kAlreadyExists: return "AlreadyExists";
    case Reason::kConflict: return "Conflict";
    case Reason::kInvalid: return "Invalid";
    case Reason::kBadRequest: return "BadRequest";
    case Reason::kUnauthorized: return "Unauthorized";
    case Reason::kForbidden: return "Forbidden";
    case Reason::kMethodNotAllowed: return "MethodNotAllowed";
    case Reason::kGone: return "Expired";
    case Reason::kTooManyRequests: return "TooManyRequests";
    case Reason::kRequestEntityTooLarge: return "RequestEntityTooLarge";
    case Reason::kUnsupportedMediaType: return "UnsupportedMediaType";
    case Reason::kNotAcceptable: return "NotAcceptable";
    case Reason::kTimeout: return "Timeout";
    case Reason::kUnavailable: return "ServiceUnavailable";
    case Reason::kInternal: return "InternalError";
  }
  return "Unknown";
}

int reason_http_code(Reason reason) {
  switch (reason) {
    case Reason::kOk: return 200;
    case Reason::kNotFound: return 404;
    case Reason::kAlreadyExists: return 409;
    case Reason::kConflict: return 409;
    case Reason::kInvalid: return 422;
    case Reason::kBadRequest: return 400;
    case Reason::kUnauthorized: return 401;
    case Reason::kForbidden: return 403;
    case Reason::kMethodNotAllowed: return 405;
    case Reason::kGone: return 410;
    case Reason::kTooManyRequests: return 429;
    case Reason::kRequestEntityTooLarge: return 413;
    case Reason::kUnsupportedMediaType: return 415;
    case Reason::kNotAcceptable: return 406;
    case Reason::kTimeout: return 504;
    case Reason::kUnavailable: return 503;
    case Reason::kInternal: return 500;
  }
  return 500;
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  return std::string(reason_name(reason_)) + ": " + message_;
}

}  // namespace ferry
