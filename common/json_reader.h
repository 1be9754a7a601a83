// Reads fields from parsed JSON while collecting every problem as "PATH: problem", so a loader can
// report all the mistakes of a file at once instead of stopping at the first.
//
//   JsonReader r("tests.json");
//   auto doc = r.Parse(text);                      // parse errors become problems too
//   std::string name = r.String(obj, "name", "tests[3]");
//   if (!r.ok()) return r.ToStatus();              // INVALID_ARGUMENT listing every problem
#ifndef CLINSIM_COMMON_JSON_READER_H_
#define CLINSIM_COMMON_JSON_READER_H_

#include "absl/strings/string_view.h"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace clinsim {

class JsonReader {
 public:
  explicit JsonReader(absl::string_view origin) : origin_(origin) {}

  // Parses JSON text; on failure records the parser's message (with byte offset).
  std::optional<nlohmann::json> Parse(absl::string_view text) {
    try {
      return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      Problem("", absl::StrCat("not valid JSON (", e.what(), ")"));
      return std::nullopt;
    }
  }

  void Problem(absl::string_view path, absl::string_view what) {
    problems_.push_back(path.empty() ? std::string(what) : std::string(path) + ": " + std::string(what));
  }

  const nlohmann::json* Field(const nlohmann::json& obj, absl::string_view key, absl::string_view path,
                              bool required) {
    if (!obj.is_object()) {
      Problem(path, "must be an object");
      return nullptr;
    }
    auto it = obj.find(std::string(key));
    if (it == obj.end() || it->is_null()) {
      if (required) Problem(Join(path, key), "is required");
      return nullptr;
    }
    return &*it;
  }

  std::string String(const nlohmann::json& obj, absl::string_view key, absl::string_view path,
                     bool required = true) {
    const nlohmann::json* v = Field(obj, key, path, required);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Problem(Join(path, key), absl::StrCat("must be a string, got ", v->type_name()));
      return "";
    }
    std::string s = v->get<std::string>();
    if (required && s.empty()) Problem(Join(path, key), "must not be empty");
    return s;
  }

  std::optional<double> Number(const nlohmann::json& obj, absl::string_view key,
                               absl::string_view path, bool required = true) {
    const nlohmann::json* v = Field(obj, key, path, required);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) {
      Problem(Join(path, key), absl::StrCat("must be a number, got ", v->type_name()));
      return std::nullopt;
    }
    return v->get<double>();
  }

  bool Bool(const nlohmann::json& obj, absl::string_view key, absl::string_view path,
            bool required = true, bool fallback = false) {
    const nlohmann::json* v = Field(obj, key, path, required);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) {
      Problem(Join(path, key), absl::StrCat("must be true or false, got ", v->type_name()));
      return fallback;
    }
    return v->get<bool>();
  }

  std::vector<std::string> StringList(const nlohmann::json& obj, absl::string_view key,
                                      absl::string_view path, bool required = true) {
    std::vector<std::string> out;
    const nlohmann::json* v = Field(obj, key, path, required);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Problem(Join(path, key), absl::StrCat("must be a list of strings, got ", v->type_name()));
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        Problem(absl::StrCat(Join(path, key), "[", i, "]"), "must be a string");
        continue;
      }
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }

  // The array at obj[key] (nullptr, with a problem, if missing or not an array).
  const nlohmann::json* Array(const nlohmann::json& obj, absl::string_view key,
                              absl::string_view path, bool required = true) {
    const nlohmann::json* v = Field(obj, key, path, required);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Problem(Join(path, key), absl::StrCat("must be a list, got ", v->type_name()));
      return nullptr;
    }
    return v;
  }

  static std::string Join(absl::string_view path, absl::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
  }

  bool ok() const { return problems_.empty(); }
  const std::vector<std::string>& problems() const { return problems_; }
  absl::Status ToStatus() const {
    if (ok()) return absl::OkStatus();
    std::vector<std::string> lines;
    for (const auto& p : problems_) lines.push_back(origin_ + ": " + p);
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  std::string origin_;
  std::vector<std::string> problems_;
};

}  // namespace clinsim

#endif  // CLINSIM_COMMON_JSON_READER_H_
