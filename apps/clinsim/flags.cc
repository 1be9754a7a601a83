#include "apps/clinsim/flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace clinsim::apps {

void FlagSet::Add(std::string name, std::string default_value, std::string help) {
  flags_.push_back({name, default_value, default_value, std::move(help), false});
}

void FlagSet::AddBool(std::string name, std::string help) {
  flags_.push_back({name, "false", "false", std::move(help), true});
}

FlagSet::Flag* FlagSet::Find(const std::string& name) {
  for (auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}
const FlagSet::Flag* FlagSet::Find(const std::string& name) const {
  return const_cast<FlagSet*>(this)->Find(name);
}

absl::Status FlagSet::Parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    Flag* f = Find(name);
    if (f == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " for '", command_,
                                                     "'; run 'clinsim ", command_,
                                                     " --help' to see the flags"));
    }
    if (f->is_bool) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes true or false, got '", value, "'"));
      }
      f->value = has_value ? value : "true";
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    f->value = value;
  }
  return absl::OkStatus();
}

std::string FlagSet::Get(const std::string& name) const {
  const Flag* f = Find(name);
  return f == nullptr ? "" : f->value;
}

bool FlagSet::GetBool(const std::string& name) const { return Get(name) == "true"; }

absl::Status FlagSet::GetInt(const std::string& name, long long lo, long long hi,
                             long long* out) const {
  std::string v = Get(name);
  long long x = 0;
  if (!absl::SimpleAtoi(v, &x) || x < lo || x > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a whole number from ", lo, " to ", hi, ", got '", v, "'"));
  }
  *out = x;
  return absl::OkStatus();
}

absl::Status FlagSet::GetDouble(const std::string& name, double lo, double hi, double* out) const {
  std::string v = Get(name);
  double x = 0;
  if (!absl::SimpleAtod(v, &x) || x < lo || x > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a number from ", lo, " to ", hi, ", got '", v, "'"));
  }
  *out = x;
  return absl::OkStatus();
}

std::string FlagSet::Help() const {
  std::string out = absl::StrCat("usage: clinsim ", command_, usage_.empty() ? "" : " ", usage_,
                                 " [flags]\n\n", summary_, "\n\nflags:\n");
  for (const auto& f : flags_) {
    std::string left = f.is_bool ? absl::StrCat("--", f.name)
                                 : absl::StrCat("--", f.name, "=", f.default_value.empty() ? "\"\"" : f.default_value);
    absl::StrAppend(&out, absl::StrFormat("  %-28s %s", left, f.help));
    if (f.is_bool) absl::StrAppend(&out, " (default: false)");
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, absl::StrFormat("  %-28s %s\n", "--help", "show this help"));
  return out;
}

}  // namespace clinsim::apps
