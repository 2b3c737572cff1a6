// Status and Result: errors as values. A Status is either OK or carries a Reason that mirrors
// the Kubernetes API's status reasons plus a human message. Result<T> holds a T or a non-OK Status.
// Both are plain values: copy them freely; they are not synchronised (one thread per instance).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferry {

enum class Reason {
  kOk,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kInvalid,
  kBadRequest,
  kUnauthorized,
  kForbidden,
  kMethodNotAllowed,
  kGone,
  kTooManyRequests,
  kRequestEntityTooLarge,
  kUnsupportedMediaType,
  kNotAcceptable,
  kTimeout,
  kUnavailable,  // network trouble, server unreachable, 503
  kInternal,
};

// The Kubernetes spelling of a reason ("NotFound", "AlreadyExists", ...).
const char* reason_name(Reason reason);
// The HTTP status code Kubernetes uses for a reason.
int reason_http_code(Reason reason);

// One detail of an error, as in a Kubernetes Status' details.causes[].
struct StatusCause {
  std::string reason;  // "FieldValueInvalid", "FieldManagerConflict", ...
  std::string message;
  std::string field;  // ".spec.replicas", "metadata.name"
};

class Status {
 public:
  Status() = default;
  Status(Reason reason, std::string message) : reason_(reason), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Reason::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Reason::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {Reason::kConflict, std::move(m)}; }
  static Status Invalid(std::string m) { return {Reason::kInvalid, std::move(m)}; }
  static Status BadRequest(std::string m) { return {Reason::kBadRequest, std::move(m)}; }
  static Status Internal(std::string m) { return {Reason::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Reason::kUnavailable, std::move(m)}; }

  bool ok() const { return reason_ == Reason::kOk; }
  Reason reason() const { return reason_; }
  const std::string& message() const { return message_; }
  bool is(Reason r) const { return reason_ == r; }
  // "NotFound: configmaps \"x\" not found" — for logs and CLI output.
  std::string to_string() const;

  const std::vector<StatusCause>& causes() const { return causes_; }
  Status& add_cause(StatusCause cause) {
    causes_.push_back(std::move(cause));
    return *this;
  }

 private:
  Reason reason_ = Reason::kOk;
  std::string message_;
  std::vector<StatusCause> causes_;
};

// A value or the reason there is none.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_ = Status(Reason::kInternal, "no value");
};

}  // namespace ferry
