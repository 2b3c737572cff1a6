// Push payloads shaped as each provider documents them (trimmed of fields Ferry never reads,
// such as avatars and author details), and a DispatchTarget fake for the dispatcher and handler
// tests. Test-only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/dispatcher.h"
#include "webhook/push_event.h"

namespace ferry::webhook::fixtures {

// GitHub "push" (X-GitHub-Event: push): two commits on main.
inline constexpr std::string_view kGitHubPush = R"json({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "repository": {
    "id": 186853002,
    "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
    "name": "Hello-World",
    "full_name": "Codertocat/Hello-World",
    "private": false,
    "owner": {"name": "Codertocat", "login": "Codertocat", "id": 21031067, "type": "User"},
    "html_url": "https://github.com/Codertocat/Hello-World",
    "url": "https://github.com/Codertocat/Hello-World",
    "git_url": "git://github.com/Codertocat/Hello-World.git",
    "ssh_url": "git@github.com:Codertocat/Hello-World.git",
    "clone_url": "https://github.com/Codertocat/Hello-World.git",
    "svn_url": "https://github.com/Codertocat/Hello-World",
    "default_branch": "main",
    "master_branch": "main"
  },
  "pusher": {"name": "Codertocat", "email": "21031067+Codertocat@users.noreply.github.com"},
  "sender": {"login": "Codertocat", "id": 21031067, "type": "User"},
  "created": false,
  "deleted": false,
  "forced": false,
  "base_ref": null,
  "compare": "https://github.com/Codertocat/Hello-World/compare/6113728f27ae...0d1a26e67d8f",
  "commits": [
    {
      "id": "a10867b14bb761a232cd80139fbd4c0d33264240",
      "tree_id": "c4d53fa1a2f1f4e0ef93e4cbbd3a0b2d5e1b5b1e",
      "distinct": true,
      "message": "Add guestbook service",
      "timestamp": "2019-05-15T15:20:30-05:00",
      "url": "https://github.com/Codertocat/Hello-World/commit/a10867b14bb761a232cd80139fbd4c0d33264240",
      "author": {"name": "Codertocat", "email": "21031067+Codertocat@users.noreply.github.com", "username": "Codertocat"},
      "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
      "added": ["apps/guestbook/service.yaml"],
      "removed": [],
      "modified": ["apps/guestbook/deployment.yaml"]
    },
    {
      "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
      "distinct": true,
      "message": "Bump image, drop old notes",
      "timestamp": "2019-05-15T15:21:08-05:00",
      "url": "https://github.com/Codertocat/Hello-World/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "author": {"name": "Codertocat", "email": "21031067+Codertocat@users.noreply.github.com", "username": "Codertocat"},
      "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
      "added": [],
      "removed": ["README.md"],
      "modified": ["apps/guestbook/deployment.yaml"]
    }
  ],
  "head_commit": {
    "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
    "message": "Bump image, drop old notes",
    "added": [],
    "removed": ["README.md"],
    "modified": ["apps/guestbook/deployment.yaml"]
  }
})json";

// GitHub "ping", sent when a hook is created.
inline constexpr std::string_view kGitHubPing = R"json({
  "zen": "Design for failure.",
  "hook_id": 109948940,
  "hook": {"type": "Repository", "id": 109948940, "name": "web", "active": true, "events": ["push"],
           "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://ferry.example.com/api/webhook"}},
  "repository": {"full_name": "Codertocat/Hello-World", "html_url": "https://github.com/Codertocat/Hello-World"}
})json";

// GitLab "Push Hook" as in GitLab's webhook events page: two of four commits listed.
inline constexpr std::string_view kGitLabPush = R"json({
  "object_kind": "push",
  "event_name": "push",
  "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
  "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "ref": "refs/heads/master",
  "ref_protected": true,
  "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "user_id": 4,
  "user_name": "John Smith",
  "user_username": "jsmith",
  "project_id": 15,
  "project": {
    "id": 15,
    "name": "Diaspora",
    "description": "",
    "web_url": "http://example.com/mike/diaspora",
    "avatar_url": null,
    "git_ssh_url": "git@example.com:mike/diaspora.git",
    "git_http_url": "http://example.com/mike/diaspora.git",
    "namespace": "Mike",
    "visibility_level": 0,
    "path_with_namespace": "mike/diaspora",
    "default_branch": "master",
    "homepage": "http://example.com/mike/diaspora",
    "url": "git@example.com:mike/diaspora.git",
    "ssh_url": "git@example.com:mike/diaspora.git",
    "http_url": "http://example.com/mike/diaspora.git"
  },
  "repository": {
    "name": "Diaspora",
    "url": "git@example.com:mike/diaspora.git",
    "description": "",
    "homepage": "http://example.com/mike/diaspora",
    "git_http_url": "http://example.com/mike/diaspora.git",
    "git_ssh_url": "git@example.com:mike/diaspora.git",
    "visibility_level": 0
  },
  "commits": [
    {
      "id": "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327",
      "message": "Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information",
      "title": "Update Catalan translation to e38cb41.",
      "timestamp": "2011-12-12T14:27:31+02:00",
      "url": "http://example.com/mike/diaspora/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327",
      "author": {"name": "Jordi Mallach", "email": "jordi@softcatala.org"},
      "added": ["CHANGELOG"],
      "modified": ["deploy/prod/values.yaml"],
      "removed": []
    },
    {
      "id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      "message": "fixed readme",
      "title": "fixed readme",
      "timestamp": "2012-01-03T23:36:29+02:00",
      "url": "http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      "author": {"name": "GitLab dev user", "email": "gitlabdev@dv6700.(none)"},
      "added": ["CHANGELOG"],
      "modified": ["app/controller/application.rb"],
      "removed": []
    }
  ],
  "total_commits_count": 4
})json";

// GitLab "Tag Push Hook".
inline constexpr std::string_view kGitLabTagPush = R"json({
  "object_kind": "tag_push",
  "event_name": "tag_push",
  "before": "0000000000000000000000000000000000000000",
  "after": "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
  "ref": "refs/tags/v1.0.0",
  "checkout_sha": "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
  "user_id": 1,
  "project_id": 1,
  "project": {
    "id": 1,
    "name": "Example",
    "web_url": "http://example.com/jsmith/example",
    "git_ssh_url": "git@example.com:jsmith/example.git",
    "git_http_url": "http://example.com/jsmith/example.git",
    "path_with_namespace": "jsmith/example",
    "default_branch": "master"
  },
  "repository": {
    "name": "Example",
    "url": "ssh://git@example.com/jsmith/example.git",
    "homepage": "http://example.com/jsmith/example",
    "git_http_url": "http://example.com/jsmith/example.git",
    "git_ssh_url": "git@example.com:jsmith/example.git"
  },
  "commits": [],
  "total_commits_count": 0
})json";

// Gitea "push" (Gitea also sends X-Gogs-Event and X-GitHub-Event with it).
inline constexpr std::string_view kGiteaPush = R"json({
  "ref": "refs/heads/develop",
  "before": "28e1879d029cb852e4844d9c718537df08844e03",
  "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
  "compare_url": "http://localhost:3000/gitea/webhooks/compare/28e1879d029cb852e4844d9c718537df08844e03...bffeb74224043ba2feb48d137756c8a9331c449a",
  "commits": [
    {
      "id": "bffeb74224043ba2feb48d137756c8a9331c449a",
      "message": "Webhooks Yay!",
      "url": "http://localhost:3000/gitea/webhooks/commit/bffeb74224043ba2feb48d137756c8a9331c449a",
      "author": {"name": "Gitea", "email": "someone@gitea.io", "username": "gitea"},
      "committer": {"name": "Gitea", "email": "someone@gitea.io", "username": "gitea"},
      "verification": null,
      "timestamp": "2017-03-13T13:52:11-04:00",
      "added": ["deploy/staging/kustomization.yaml"],
      "removed": [],
      "modified": ["deploy/base/deployment.yaml"]
    }
  ],
  "total_commits": 1,
  "head_commit": {"id": "bffeb74224043ba2feb48d137756c8a9331c449a", "message": "Webhooks Yay!"},
  "repository": {
    "id": 140,
    "owner": {"id": 1, "login": "gitea", "full_name": "Gitea", "username": "gitea"},
    "name": "webhooks",
    "full_name": "gitea/webhooks",
    "private": false,
    "fork": false,
    "html_url": "http://localhost:3000/gitea/webhooks",
    "ssh_url": "ssh://gitea@localhost:2222/gitea/webhooks.git",
    "clone_url": "http://localhost:3000/gitea/webhooks.git",
    "default_branch": "master",
    "created_at": "2017-02-26T04:29:06-05:00",
    "updated_at": "2017-03-13T13:51:58-04:00"
  },
  "pusher": {"id": 1, "login": "gitea", "username": "gitea"},
  "sender": {"id": 1, "login": "gitea", "username": "gitea"}
})json";

// Gogs "push".
inline constexpr std::string_view kGogsPush = R"json({
  "ref": "refs/heads/master",
  "before": "0a96f4a5a7e8c7e0ec3d2bd1ad1e5a3e5bcb8c85",
  "after": "d5f07d30bd8d9b5d4f0e6a6b5e6f8c0e48d6a0c3",
  "compare_url": "https://gogs.example.com/ops/cluster/compare/0a96f4a5a7e8...d5f07d30bd8d",
  "commits": [
    {
      "id": "d5f07d30bd8d9b5d4f0e6a6b5e6f8c0e48d6a0c3",
      "message": "scale web\n",
      "url": "https://gogs.example.com/ops/cluster/commit/d5f07d30bd8d9b5d4f0e6a6b5e6f8c0e48d6a0c3",
      "author": {"name": "ops", "email": "ops@example.com", "username": "ops"},
      "committer": {"name": "ops", "email": "ops@example.com", "username": "ops"},
      "added": [],
      "removed": [],
      "modified": ["web/deployment.yaml"],
      "timestamp": "2024-02-01T10:00:00Z"
    }
  ],
  "repository": {
    "id": 7,
    "owner": {"id": 2, "username": "ops"},
    "name": "cluster",
    "full_name": "ops/cluster",
    "html_url": "https://gogs.example.com/ops/cluster",
    "ssh_url": "git@gogs.example.com:ops/cluster.git",
    "clone_url": "https://gogs.example.com/ops/cluster.git",
    "default_branch": "master"
  },
  "pusher": {"id": 2, "username": "ops"},
  "sender": {"id": 2, "username": "ops"}
})json";

// Bitbucket Cloud "repo:push": a branch update, a new tag and a deleted branch in one push.
inline constexpr std::string_view kBitbucketPush = R"json({
  "push": {
    "changes": [
      {
        "forced": false,
        "old": {"name": "main", "type": "branch",
                "target": {"type": "commit", "hash": "1e65c05c1d5171631d92438a13901ca7dae9618c"}},
        "new": {"name": "main", "type": "branch",
                "target": {"type": "commit", "hash": "9fec847784abb10b2fa567ee63b85bd238955d0e",
                           "message": "Update values\n", "date": "2024-03-01T09:12:40+00:00"}},
        "created": false,
        "closed": false,
        "truncated": false,
        "commits": [{"type": "commit", "hash": "9fec847784abb10b2fa567ee63b85bd238955d0e", "message": "Update values\n"}],
        "links": {"html": {"href": "https://bitbucket.org/team/infra/branches/compare/9fec847784ab..1e65c05c1d51"}}
      },
      {
        "forced": false,
        "old": null,
        "new": {"name": "v1.2.0", "type": "tag",
                "target": {"type": "commit", "hash": "9fec847784abb10b2fa567ee63b85bd238955d0e"}},
        "created": true,
        "closed": false,
        "truncated": false,
        "commits": []
      },
      {
        "forced": false,
        "old": {"name": "feature/old", "type": "branch",
                "target": {"type": "commit", "hash": "3b5e0a2c8f3b0d6a7c1e2f4a5b6c7d8e9f0a1b2c"}},
        "new": null,
        "created": false,
        "closed": true,
        "truncated": false,
        "commits": []
      }
    ]
  },
  "repository": {
    "type": "repository",
    "full_name": "team/infra",
    "name": "infra",
    "uuid": "{c7f2a1a4-0f1e-4bfa-9c55-5b9a9a0f8e21}",
    "is_private": true,
    "scm": "git",
    "links": {
      "self": {"href": "https://api.bitbucket.org/2.0/repositories/team/infra"},
      "html": {"href": "https://bitbucket.org/team/infra"},
      "avatar": {"href": "https://bytebucket.org/ravatar/%7Bc7f2a1a4%7D?ts=default"}
    },
    "owner": {"type": "team", "display_name": "Team", "uuid": "{0b0e5d0c-1a2b-4c3d-8e9f-a0b1c2d3e4f5}"}
  },
  "actor": {"type": "user", "display_name": "Dev", "uuid": "{5e5a8f7e-6d6c-4b4a-9f9e-8d8c7b7a6f6e}"}
})json";

// Bitbucket Server / Data Center "repo:refs_changed": a branch update and a new tag.
inline constexpr std::string_view kBitbucketServerPush = R"json({
  "eventKey": "repo:refs_changed",
  "date": "2017-09-19T09:45:32+1000",
  "actor": {"name": "admin", "emailAddress": "admin@example.com", "id": 1, "displayName": "Administrator",
            "active": true, "slug": "admin", "type": "NORMAL"},
  "repository": {
    "slug": "repository",
    "id": 84,
    "name": "repository",
    "scmId": "git",
    "state": "AVAILABLE",
    "statusMessage": "Available",
    "forkable": true,
    "project": {"key": "PROJ", "id": 84, "name": "project", "public": false, "type": "NORMAL"},
    "public": false,
    "links": {
      "clone": [
        {"href": "ssh://git@bitbucket.example.com:7999/proj/repository.git", "name": "ssh"},
        {"href": "https://bitbucket.example.com/scm/proj/repository.git", "name": "http"}
      ],
      "self": [{"href": "https://bitbucket.example.com/projects/PROJ/repos/repository/browse"}]
    }
  },
  "changes": [
    {
      "ref": {"id": "refs/heads/master", "displayId": "master", "type": "BRANCH"},
      "refId": "refs/heads/master",
      "fromHash": "ecddabb624f6f5ba43816f5926e580a5f680a932",
      "toHash": "178864a7d521b6f5e720b386b2c2b0ef8563e0dc",
      "type": "UPDATE"
    },
    {
      "ref": {"id": "refs/tags/v2.0.0", "displayId": "v2.0.0", "type": "TAG"},
      "refId": "refs/tags/v2.0.0",
      "fromHash": "0000000000000000000000000000000000000000",
      "toHash": "178864a7d521b6f5e720b386b2c2b0ef8563e0dc",
      "type": "ADD"
    }
  ]
})json";

// A 40-hex commit id distinct per n.
inline std::string sha(unsigned n) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", n);
  return buf;
}

inline PushEvent push_event(std::string url, std::string ref, std::string after, std::vector<std::string> files,
                            bool files_known = true) {
  PushEvent event;
  event.repo_urls = {std::move(url)};
  event.ref = std::move(ref);
  event.after = std::move(after);
  event.changed_files = std::move(files);
  event.files_known = files_known;
  return event;
}

// Records every call; can hold the worker inside repo_pushed so a test can act while a round is
// in progress. Waits are bounded only to turn a bug into a failure instead of a hung test.
class FakeTarget : public DispatchTarget {
 public:
  struct Push {
    std::string repo_url, ref, after;
  };

  explicit FakeTarget(std::vector<AppSource> apps = {}) : apps_(std::move(apps)) {}

  std::vector<AppSource> apps() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++apps_calls_;
    if (throw_in_apps_) {
      throw_in_apps_ = false;
      throw std::runtime_error("listing apps failed");
    }
    return apps_;
  }
  void repo_pushed(const std::string& repo_url, const std::string& ref, const std::string& after) override {
    std::unique_lock<std::mutex> lock(mu_);
    pushes_.push_back({repo_url, ref, after});
    if (block_next_) {
      block_next_ = false;
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !blocked_; });
    }
  }
  void refresh_app(const std::string& app_name) override {
    std::lock_guard<std::mutex> lock(mu_);
    refreshed_.push_back(app_name);
  }

  void block_next_push() {
    std::lock_guard<std::mutex> lock(mu_);
    block_next_ = true;
  }
  bool wait_until_blocked() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [this] { return blocked_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    blocked_ = false;
    cv_.notify_all();
  }
  void throw_once_in_apps() {
    std::lock_guard<std::mutex> lock(mu_);
    throw_in_apps_ = true;
  }

  std::vector<Push> pushes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pushes_;
  }
  std::vector<std::string> refreshed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return refreshed_;
  }
  int apps_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return apps_calls_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<AppSource> apps_;
  std::vector<Push> pushes_;
  std::vector<std::string> refreshed_;
  int apps_calls_ = 0;
  bool block_next_ = false;
  bool blocked_ = false;
  bool throw_in_apps_ = false;
};

}  // namespace ferry::webhook::fixtures
