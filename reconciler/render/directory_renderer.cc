// Directory renderer: every .yaml/.yml/.json file under the app path (recursively on request),
// filtered by include/exclude globs, in lexical order as Argo CD walks them.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reconciler/render/renderers.h"

namespace ferry::reconciler {
namespace {

namespace fs = std::filesystem;

bool has_manifest_extension(const std::string& name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".yaml") || ends(".yml") || ends(".json");
}

bool is_string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() && !it->get<std::string>().empty();
}

void collect(const fs::path& dir, const std::string& rel_dir, bool recurse, std::vector<std::string>& files,
             std::error_code& ec) {
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
  if (ec) return;
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    std::string name = e.path().filename().string();
    std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    if (e.is_directory(ec)) {
      if (recurse) collect(e.path(), rel, recurse, files, ec);
      if (ec) return;
    } else if (e.is_regular_file(ec) && has_manifest_extension(name)) {
      files.push_back(rel);
    }
  }
}

}  // namespace

Status parse_manifest_file(std::string_view text, const std::string& source, std::vector<Json>& objects,
                           std::vector<std::string>& warnings) {
  auto docs = yaml::parse_stream(text, source);
  if (!docs.ok()) return docs.status();
  auto take = [&](Json& value, const yaml::Document& doc) {
    if (!value.is_object() || !is_string_field(value, "apiVersion") || !is_string_field(value, "kind")) {
      warnings.push_back(source + ": document " + std::to_string(doc.index + 1) + " (line " +
                         std::to_string(doc.line) + ") has no apiVersion/kind; skipped");
      return;
    }
    objects.push_back(std::move(value));
  };
  for (auto& doc : *docs) {
    Json& v = doc.value;
    bool is_list = v.is_object() && v.contains("items") && v["items"].is_array() && is_string_field(v, "kind") &&
                   v["kind"].get<std::string>().ends_with("List");
    if (is_list) {
      for (auto& item : v["items"]) take(item, doc);
    } else {
      take(v, doc);
    }
  }
  return Status::Ok();
}

Result<RenderOutput> render_directory(const WorkTree& tree, const std::string& app_path,
                                      const DirectoryOptions& options) {
  RenderOutput out;
  out.kind = RendererKind::kDirectory;
  out.inputs.push_back(app_path);
  fs::path root = tree.path(app_path);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::NotFound("app path \"" + app_path + "\" is not a directory");
  std::vector<std::string> files;
  collect(root, "", options.recurse, files, ec);
  if (ec) return Status::Internal("list " + app_path + ": " + ec.message());
  for (const auto& rel : files) {
    if (!options.include.empty() && !glob_match(options.include, rel)) continue;
    if (!options.exclude.empty() && glob_match(options.exclude, rel)) continue;
    std::ifstream in(root / rel, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string source = app_path.empty() ? rel : app_path + "/" + rel;
    Status s = parse_manifest_file(text.str(), source, out.objects, out.warnings);
    if (!s.ok()) return s;
    out.approx_bytes += static_cast<size_t>(text.tellp());
  }
  return out;
}

}  // namespace ferry::reconciler
