// Shell-style glob matching as Argo CD's project allow-lists use it. Pure; any thread.
//   *      any run of characters (not crossing `separator` when one is given)
//   **     any run of characters, separators included
//   ?      one character (not the separator)
//   [a-z]  one character of a class; [!a-z] or [^a-z] one character not in it
//   \x     the character x itself
// The pattern must match the whole text. An unclosed '[' is an ordinary character.
// Negation ("!pattern") is not part of the glob; callers that allow it strip it (see project.h).
#pragma once

#include <string_view>

namespace ferry::apis {

bool glob_match(std::string_view pattern, std::string_view text, char separator = '\0');

}  // namespace ferry::apis
