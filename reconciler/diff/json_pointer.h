// JSON pointers (RFC 6901) over Ferry's document type: parsing, escaping and the three edits the
// diff needs (find, remove, set). Array steps are decimal indices; "-" and leading zeros are not
// accepted (ignoreDifferences names existing elements). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::reconciler {

// The unescaped tokens of a pointer ("/a~1b/0" -> {"a/b", "0"}); "" -> {} (the whole document).
// nullopt when the text is not a pointer (no leading '/', or a bad "~" escape).
std::optional<std::vector<std::string>> parse_json_pointer(std::string_view pointer);

// "a/b" -> "a~1b", "m~n" -> "m~0n".
std::string escape_pointer_token(std::string_view token);
// The pointer text of tokens: {"spec", "replicas"} -> "/spec/replicas".
std::string json_pointer(const std::vector<std::string>& tokens);

// The value at tokens, or null when any step is missing.
const nlohmann::json* find_pointer(const nlohmann::json& doc, const std::vector<std::string>& tokens);
// Removes the value at tokens; false when there was none. Removing an array element shifts the
// ones after it.
bool remove_pointer(nlohmann::json& doc, const std::vector<std::string>& tokens);
// Sets the value at tokens, creating missing objects on the way. An array step must name an
// existing element; false (nothing changed) when a step cannot be taken.
bool set_pointer(nlohmann::json& doc, const std::vector<std::string>& tokens, nlohmann::json value);

}  // namespace ferry::reconciler
