// Paths inside a repository. An app path, a Helm value file or a symlink target is a string a
// user (or a repo author) controls; these pure functions decide whether it stays inside the
// repository and give it one canonical spelling. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::reconciler {

// Names of the refusals the source and render layers return (as the first StatusCause's
// reason and the message prefix), so callers and tests can tell them apart.
inline constexpr const char* kPathTraversal = "PathTraversal";
inline constexpr const char* kSymlinkEscape = "SymlinkEscape";
inline constexpr const char* kValueFileOutsideRepo = "ValueFileOutsideRepo";
inline constexpr const char* kFileTooLarge = "FileTooLarge";
inline constexpr const char* kTreeTooLarge = "TreeTooLarge";
inline constexpr const char* kTooManyFiles = "TooManyFiles";

// A Forbidden status named `refusal`: "PathTraversal: app path \"../x\" leaves the repository".
Status refusal(const char* name, const std::string& message, const std::string& path = "");

// The name of the refusal a status carries, or "" when it is not one.
std::string refusal_name(const Status& status);

// Canonical form of a repo-relative path given by a user: "" for the root, no leading or
// trailing '/', no "." components, "a//b" collapsed. Absolute paths and any ".." component are
// refused (PathTraversal) — an app path has no business climbing, even when it would land
// back inside.
Result<std::string> clean_app_path(std::string_view path);

// Joins `relative` onto directory `base` (both repo-relative, canonical) resolving "." and "..".
// Returns nullopt-like error (PathTraversal) when the result climbs above the repository root
// or `relative` is absolute. Used for symlink targets and Helm value files, where ".." is
// legitimate as long as the result stays inside.
Result<std::string> join_inside_repo(std::string_view base, std::string_view relative);

// True when `path` equals `dir` or lies below it ("" is the root and contains everything).
bool path_is_under(std::string_view path, std::string_view dir);

}  // namespace ferry::reconciler
