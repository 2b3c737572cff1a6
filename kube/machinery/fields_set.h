// FieldSet: a set of field paths in the tree shape of managedFields' fieldsV1. Each node is
// reached by path elements spelled as in fieldsV1 — "f:<field>", "k:<json of the key fields>",
// "v:<json value>", "i:<index>" — and is a member of the set or only leads to members:
//   {"f:spec": {"f:replicas": {}}}                      .spec.replicas is a member
//   {"f:labels": {".": {}, "f:app": {}}}                 .labels and .labels.app are members
// The tree never keeps a node that has no member below it, so `find()` answering non-null means
// "something at or under this path is in the set". A value type; not synchronised.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::kube {

class FieldSet {
 public:
  // Children by path element; std::map keeps fieldsV1 output in a stable, sorted order.
  using Children = std::map<std::string, FieldSet, std::less<>>;

  FieldSet() = default;

  // Reads a fieldsV1 object; anything that is not an object contributes nothing.
  static FieldSet from_fields_v1(const nlohmann::json& fields_v1);
  nlohmann::json to_fields_v1() const;

  bool member() const { return member_; }
  void set_member(bool member) { member_ = member; }
  bool empty() const { return !member_ && children_.empty(); }
  const Children& children() const { return children_; }

  const FieldSet* find(std::string_view element) const;
  FieldSet* find(std::string_view element);
  // The child at `element`, created empty when missing. Callers that may leave it empty must
  // erase it again (or use `adopt`) so the no-empty-node invariant holds.
  FieldSet& child(std::string_view element);
  // Inserts `child` at `element` unless it is empty; merges when the element exists.
  void adopt(std::string_view element, FieldSet&& child);
  void erase(std::string_view element);

  // The node at a path of elements, or null.
  const FieldSet* find_path(std::span<const std::string> elements) const;
  // Makes the path a member, creating nodes on the way.
  void insert_path(std::span<const std::string> elements);
  // Removes the path from the members (its descendants stay); prunes nodes left empty.
  void remove_path(std::span<const std::string> elements);

  // this ∪= other.
  void unite(const FieldSet& other);
  // Removes every member of `other` (exact paths only; descendants of a removed member stay).
  void subtract(const FieldSet& other);
  // Removes every member of `other` together with everything below it.
  void subtract_subtrees(const FieldSet& other);

  // Calls `visit(elements)` for each member path: the members of a node first, then the
  // members below its children, each group in sorted element order (structured-merge-diff's
  // iteration order, which Kubernetes uses to list conflicts).
  void for_each_member(const std::function<void(const std::vector<std::string_view>&)>& visit) const;

  size_t member_count() const;

 private:
  void for_each_member_below(std::vector<std::string_view>& prefix,
                             const std::function<void(const std::vector<std::string_view>&)>& visit) const;

  bool member_ = false;
  Children children_;
};

// Path element spellings.
std::string field_element(std::string_view name);
// "k:" + the compact JSON of `key_fields` (an object; nlohmann keeps its keys sorted).
std::string key_element(const nlohmann::json& key_fields);
std::string value_element(const nlohmann::json& value);
std::string index_element(size_t index);

// The human spelling Kubernetes uses in conflict messages: ".spec", "[name=\"web\"]",
// "[=\"a\"]", "[0]".
std::string element_to_string(std::string_view element);
std::string path_to_string(std::span<const std::string> elements);
std::string path_to_string(std::span<const std::string_view> elements);

}  // namespace ferry::kube
