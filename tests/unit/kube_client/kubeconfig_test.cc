#include "kube/client/kubeconfig.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/unit/kube_client/test_files.h"

namespace ferry::kube {
namespace {

using testing::ScratchDir;

const char* kBasic = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443/
    certificate-authority-data: cGVtLWNh
    tls-server-name: api.dev.example
- name: prod-cluster
  cluster:
    server: https://prod.example:6443
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    token: secret-token-123
- name: prod-user
  user:
    username: admin
    password: hunter2
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
)";

TEST(KubeconfigTest, CurrentContextWithTokenAndCaData) {
  auto config = load_kubeconfig_text(kBasic, "kc");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->server, "https://dev.example:6443");
  EXPECT_EQ(config->ca_pem, "pem-ca");
  EXPECT_EQ(config->tls_server_name, "api.dev.example");
  EXPECT_FALSE(config->insecure);
  EXPECT_EQ(config->token, "secret-token-123");
  EXPECT_EQ(config->namespace_, "team-a");
}

TEST(KubeconfigTest, ExplicitContextWithBasicAuthAndInsecure) {
  auto config = load_kubeconfig_text(kBasic, "kc", "prod");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->server, "https://prod.example:6443");
  EXPECT_TRUE(config->insecure);
  EXPECT_EQ(config->username, "admin");
  EXPECT_EQ(config->password, "hunter2");
  EXPECT_EQ(config->namespace_, "default");
}

TEST(KubeconfigTest, MissingContextIsNamed) {
  ScratchDir dir;
  std::string path = dir.write("config", kBasic);
  auto config = load_kubeconfig({path}, "staging");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(config.status().is(Reason::kNotFound));
  EXPECT_EQ(config.status().message(), "kubeconfig " + path + ": context \"staging\" not found");
}

TEST(KubeconfigTest, MissingClusterAndUserAreNamed) {
  auto no_cluster = load_kubeconfig_text(R"(
contexts: [{name: c, context: {cluster: nope, user: u}}]
current-context: c
)",
                                         "kc");
  ASSERT_FALSE(no_cluster.ok());
  EXPECT_NE(no_cluster.status().message().find("cluster \"nope\""), std::string::npos);
  auto no_user = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {server: "https://x"}}]
contexts: [{name: c, context: {cluster: k, user: ghost}}]
current-context: c
)",
                                      "kc");
  ASSERT_FALSE(no_user.ok());
  EXPECT_NE(no_user.status().message().find("user \"ghost\""), std::string::npos);
}

TEST(KubeconfigTest, NoCurrentContext) {
  auto config = load_kubeconfig_text("clusters: []\n", "kc");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("current-context is not set"), std::string::npos);
}

TEST(KubeconfigTest, BrokenBase64NamesTheFieldButNotTheSecret) {
  auto config = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {server: "https://x"}}]
users: [{name: admin, user: {client-certificate-data: cGVtLWNh, client-key-data: "c2VjcmV0!!!"}}]
contexts: [{name: c, context: {cluster: k, user: admin}}]
current-context: c
)",
                                     "kc");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(config.status().is(Reason::kInvalid));
  EXPECT_EQ(config.status().message(), "user \"admin\": client-key-data is not valid base64");
  EXPECT_EQ(config.status().message().find("c2VjcmV0"), std::string::npos);
}

TEST(KubeconfigTest, ServerMissingOrNotUrl) {
  auto missing = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {}}]
contexts: [{name: c, context: {cluster: k}}]
current-context: c
)",
                                      "kc");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "cluster \"k\": server is not set");
  auto bad = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {server: "ftp://x"}}]
contexts: [{name: c, context: {cluster: k}}]
current-context: c
)",
                                  "kc");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is not an http(s) URL"), std::string::npos);
}

TEST(KubeconfigTest, FilesAreRelativeToTheKubeconfig) {
  ScratchDir dir;
  dir.write("certs/ca.crt", "CA PEM");
  dir.write("certs/client.crt", "CERT PEM");
  dir.write("certs/client.key", "KEY PEM");
  dir.write("token", "file-token\n");
  std::string path = dir.write("kube/config", R"(
clusters: [{name: k, cluster: {server: "https://x", certificate-authority: ../certs/ca.crt}}]
users: [{name: u, user: {client-certificate: ../certs/client.crt, client-key: ../certs/client.key, tokenFile: ../token}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
current-context: c
)");
  auto config = load_kubeconfig({path});
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->ca_pem, "CA PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT PEM");
  EXPECT_EQ(config->client_key_pem, "KEY PEM");
  EXPECT_EQ(config->token_file, dir.path() + "/kube/../token");
}

TEST(KubeconfigTest, UnreadableCaFileIsNamed) {
  auto config = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {server: "https://x", certificate-authority: /no/such/ca.crt}}]
contexts: [{name: c, context: {cluster: k}}]
current-context: c
)",
                                     "kc");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "cluster \"k\": cannot read certificate-authority /no/such/ca.crt");
}

TEST(KubeconfigTest, CertWithoutKeyIsInvalid) {
  auto config = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {server: "https://x"}}]
users: [{name: u, user: {client-certificate-data: cGVtLWNh}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
current-context: c
)",
                                     "kc");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("must be given together"), std::string::npos);
}

TEST(KubeconfigTest, ExecPluginV1AndV1beta1) {
  for (const char* version : {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    std::string text = std::string(R"(
clusters: [{name: k, cluster: {server: "https://x"}}]
users:
- name: u
  user:
    exec:
      apiVersion: )") + version +
                       R"(
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env: [{name: AWS_PROFILE, value: ops}]
contexts: [{name: c, context: {cluster: k, user: u}}]
current-context: c
)";
    auto config = load_kubeconfig_text(text, "kc");
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    EXPECT_EQ(config->exec.api_version, version);
    EXPECT_EQ(config->exec.command, "aws");
    EXPECT_EQ(config->exec.args, (std::vector<std::string>{"eks", "get-token", "--cluster-name", "prod"}));
    ASSERT_EQ(config->exec.env.size(), 1u);
    EXPECT_EQ(config->exec.env[0].first, "AWS_PROFILE");
    EXPECT_EQ(config->exec.env[0].second, "ops");
  }
}

TEST(KubeconfigTest, ExecPluginUnsupportedVersion) {
  auto config = load_kubeconfig_text(R"(
clusters: [{name: k, cluster: {server: "https://x"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
current-context: c
)",
                                     "kc");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("v1alpha1\" is not supported"), std::string::npos);
}

TEST(KubeconfigTest, MergeFirstFileWinsPerNameAndForCurrentContext) {
  ScratchDir dir;
  std::string a = dir.write("a", R"(
current-context: one
clusters: [{name: k, cluster: {server: "https://first"}}]
contexts: [{name: one, context: {cluster: k, user: u}}]
)");
  std::string b = dir.write("b", R"(
current-context: two
clusters:
- {name: k, cluster: {server: "https://second"}}
- {name: k2, cluster: {server: "https://other"}}
users: [{name: u, user: {token: from-b}}]
contexts:
- {name: one, context: {cluster: k2}}
- {name: two, context: {cluster: k2, user: u}}
)");
  auto config = load_kubeconfig({a, dir.path() + "/missing", b});
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->server, "https://first");  // context "one" and cluster "k" from a
  EXPECT_EQ(config->token, "from-b");          // user only in b
  auto two = load_kubeconfig({a, b}, "two");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->server, "https://other");
}

TEST(KubeconfigTest, KubeconfigEnvIsSplitOnColons) {
  setenv("KUBECONFIG", "/a/config::/b/config", 1);
  auto paths = default_kubeconfig_paths();
  unsetenv("KUBECONFIG");
  EXPECT_EQ(paths, (std::vector<std::string>{"/a/config", "/b/config"}));
}

TEST(KubeconfigTest, UnreadableFile) {
  auto config = load_kubeconfig({"/no/such/kubeconfig"});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "kubeconfig /no/such/kubeconfig: cannot read the file");
}

TEST(KubeconfigTest, BrokenYamlNamesTheFile) {
  auto config = load_kubeconfig_text("clusters: [\n", "/x/kc");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("kubeconfig /x/kc: ", 0), 0u) << config.status().message();
}

TEST(KubeconfigTest, InCluster) {
  ScratchDir dir;
  dir.write("token", "sa-token\n");
  dir.write("ca.crt", "SA CA");
  dir.write("namespace", "ferry-system\n");
  setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = load_in_cluster(dir.path());
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
  EXPECT_EQ(config->token, "sa-token");
  EXPECT_EQ(config->token_file, dir.path() + "/token");
  EXPECT_EQ(config->ca_pem, "SA CA");
  EXPECT_EQ(config->namespace_, "ferry-system");

  auto missing = load_in_cluster(dir.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope/token"), std::string::npos);
  unsetenv("KUBERNETES_SERVICE_HOST");
  auto no_env = load_in_cluster(dir.path());
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_FALSE(no_env.ok());
  EXPECT_NE(no_env.status().message().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

}  // namespace
}  // namespace ferry::kube
