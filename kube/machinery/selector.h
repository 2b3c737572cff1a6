// Label selectors ("app=web,tier in (a,b),!legacy") and field selectors
// ("metadata.name=x,metadata.namespace!=y") in the Kubernetes string syntax.
// Values are immutable after parsing; matching is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::kube {

class LabelSelector {
 public:
  struct Requirement {
    enum Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
    std::string key;
    Op op = kExists;
    std::vector<std::string> values;
  };

  // Parses the string form; an empty string selects everything. BadRequest on syntax errors.
  static Result<LabelSelector> parse(std::string_view text);
  // From a metav1.LabelSelector object ({matchLabels, matchExpressions}).
  static Result<LabelSelector> from_json(const nlohmann::json& selector);

  bool empty() const { return requirements_.empty(); }
  // `labels` is an object of string values (or null when the object has none).
  bool matches(const nlohmann::json& labels) const;
  std::string to_string() const;

 private:
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  static Result<FieldSelector> parse(std::string_view text);
  bool empty() const { return terms_.empty(); }
  // Matches against a whole object; fields are dotted paths ("metadata.name", "spec.nodeName").
  bool matches(const nlohmann::json& object) const;
  // The value the selector requires for `field` with `=`, or empty.
  std::string required_value(std::string_view field) const;

 private:
  struct Term {
    std::string field;
    bool equals = true;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace ferry::kube
