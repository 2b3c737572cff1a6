#include "store/records.h"

#include <openssl/rand.h>

#include <chrono>

#include "store/codec.h"

namespace ferry::store::records {

int64_t now_ms(const Options& options) {
  if (options.clock) return options.clock();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::string> new_digest_key() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Status::Internal("store: no random bytes for a key");
  return std::string(reinterpret_cast<char*>(bytes), sizeof(bytes));
}

Status check_start(const OperationStart& start) {
  if (start.app.empty()) return Status::Invalid("operation needs an app");
  if (start.kind.empty()) return Status::Invalid("operation needs a kind");
  return Status::Ok();
}

Status check_update_phase(OperationPhase phase) {
  if (!is_final(phase)) return Status::Ok();
  return Status::Invalid(std::string("update_operation takes Running or Terminating, not ") + phase_name(phase) +
                         "; use finish_operation");
}

Status check_finish_phase(OperationPhase phase) {
  if (is_final(phase)) return Status::Ok();
  return Status::Invalid(std::string("finish_operation needs a final phase, not ") + phase_name(phase));
}

Status check_prune(const std::string& app, int keep) {
  if (app.empty()) return Status::Invalid("prune_history needs an app");
  if (keep < 0) return Status::Invalid("prune_history: keep must be >= 0");
  return Status::Ok();
}

Status check_event(const Event& event) {
  if (event.action.empty()) return Status::Invalid("event needs an action");
  return Status::Ok();
}

Status check_account(const Account& account) {
  if (account.name.empty()) return Status::Invalid("account needs a name");
  return Status::Ok();
}

Status check_token(const TokenRecord& token) {
  if (token.id.empty() || token.account.empty()) return Status::Invalid("token needs an id and an account");
  // A SHA-256 in lowercase hex. generate_token()'s tokens carry a prefix and never look like this.
  bool hash = token.hash.size() == 64;
  for (char c : token.hash) hash = hash && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hash) {
    return Status::Invalid(
        "token hash must be hash_token(token): 64 lowercase hex digits; the store keeps no raw tokens");
  }
  return Status::Ok();
}

Status operation_not_found(int64_t id) { return Status::NotFound("operation " + std::to_string(id) + " not found"); }

Status account_not_found(const std::string& name) { return Status::NotFound("account \"" + name + "\" not found"); }

Status token_not_found(const std::string& id) { return Status::NotFound("token \"" + id + "\" not found"); }

Status already_finished(int64_t id, const std::string& phase) {
  return Status::Conflict("operation " + std::to_string(id) + " has already finished (" + phase + ")");
}

std::string interrupted_message(const Operation& op) {
  std::string message = "interrupted: Ferry stopped while the operation was " + std::string(phase_name(op.phase));
  if (!op.message.empty()) message += " (last message: " + op.message + ")";
  return message;
}

Json parse_or(const std::string& text, Json fallback) {
  Json value = Json::parse(text, nullptr, false);
  return value.is_discarded() ? fallback : value;
}

std::vector<std::string> parse_capabilities(const std::string& text) {
  std::vector<std::string> out;
  Json caps = parse_or(text, Json::array());
  if (!caps.is_array()) return out;
  for (const auto& c : caps) {
    if (c.is_string()) out.push_back(c.get<std::string>());
  }
  return out;
}

Result<Canonical> canonicalize(const Json& object, std::string_view digest_key) {
  auto text = canonical_json(object);
  if (!text.ok()) return text.status();
  Canonical c;
  c.sensitive = is_sensitive(object);
  c.digest = c.sensitive ? hmac_sha256_hex(digest_key, *text) : sha256_hex(*text);
  c.text = std::move(*text);
  return c;
}

Result<std::vector<Canonical>> canonicalize_all(const std::vector<Json>& objects, std::string_view digest_key) {
  std::vector<Canonical> items;
  items.reserve(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    auto c = canonicalize(objects[i], digest_key);
    if (!c.ok()) return Status(c.status().reason(), "manifest " + std::to_string(i) + ": " + c.status().message());
    items.push_back(std::move(*c));
  }
  return items;
}

Result<Json> decode_blob(const std::string& store, const StoredBlob& blob, std::string_view digest_key,
                         bool include_sensitive) {
  std::string corrupt = "store " + store + ": manifest " + blob.digest + " is corrupt: ";
  auto text = decompress(blob.data, blob.raw_size);
  if (!text.ok()) return Status::Internal(corrupt + text.status().message());
  // Content addressing doubles as a checksum: what rollback re-applies is what was stored.
  std::string actual = blob.sensitive ? hmac_sha256_hex(digest_key, *text) : sha256_hex(*text);
  if (actual != blob.digest) return Status::Internal(corrupt + "its content does not match its digest");
  Json object = Json::parse(*text, nullptr, false);
  if (object.is_discarded()) return Status::Internal(corrupt + "not JSON");
  if (blob.sensitive && !include_sensitive) return mask_secret(object);
  return object;
}

}  // namespace ferry::store::records
