// image-tag-missing, image-tag-latest, image-digest: is the code a container runs pinned?
//   nginx                 -> no tag (Kubernetes reads it as :latest)
//   nginx:latest          -> the mutable tag latest
//   nginx:1.27.2          -> pinned by tag (image-digest, when asked for, wants a digest too)
//   nginx:1.27.2@sha256:… -> pinned by digest
#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy::detail {
namespace {

struct ImageRef {
  std::string_view tag;     // "" = none
  std::string_view digest;  // "" = none
};

ImageRef split_image(std::string_view image) {
  ImageRef out;
  if (size_t at = image.find('@'); at != std::string_view::npos) {
    out.digest = image.substr(at + 1);
    image = image.substr(0, at);
  }
  // A ':' after the last '/' starts the tag; one before it is a registry port (host:5000/app).
  size_t colon = image.rfind(':');
  size_t slash = image.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = image.substr(colon + 1);
  }
  return out;
}

}  // namespace

void check_image(Reporter& r, const ContainerRef& c) {
  if (!r.any_on({Check::kImageTagMissing, Check::kImageTagLatest, Check::kImageDigest})) return;
  std::string_view image = string_member(c.container, "image");
  if (image.empty()) return;  // the API server's concern, not a policy's
  const ImageRef ref = split_image(image);
  const std::string what = "container " + in_quotes(c.name) + " image " + in_quotes(image);
  if (ref.digest.empty() && ref.tag.empty() && r.on(Check::kImageTagMissing)) {
    r.report(Check::kImageTagMissing, c.path + ".image", what + " has no tag, so it runs whatever :latest is");
  }
  if (ref.digest.empty() && ref.tag == "latest" && r.on(Check::kImageTagLatest)) {
    std::string_view policy = string_member(c.container, "imagePullPolicy");
    std::string why = policy == "Always"
                          ? " is the mutable tag latest: every pod start may pull different code"
                          : " is the mutable tag latest: with imagePullPolicy " +
                                std::string(policy.empty() ? "Always (the default for :latest)" : policy) +
                                " nodes run whichever :latest they pulled";
    r.report(Check::kImageTagLatest, c.path + ".image", what + why);
  }
  if (ref.digest.empty() && r.on(Check::kImageDigest)) {
    r.report(Check::kImageDigest, c.path + ".image", what + " is not pinned by digest (@sha256:...)");
  }
}

}  // namespace ferry::reconciler::policy::detail
