// A small flag parser for the subcommands: --name=value or --name value, --bool-flag,
// positional arguments, an error naming any unknown flag, and --help text with every default.
//
//   FlagSet f("bench", "Runs a doctor over cases x seeds.");
//   f.Add("seeds", "1", "number of seeds per case");
//   if (absl::Status s = f.Parse(argc, argv); !s.ok()) ...
//   int seeds = f.GetInt("seeds");
#ifndef CLINSIM_APPS_CLINSIM_FLAGS_H_
#define CLINSIM_APPS_CLINSIM_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace clinsim::apps {

class FlagSet {
 public:
  FlagSet(std::string command, std::string summary, std::string usage = "")
      : command_(std::move(command)), summary_(std::move(summary)), usage_(std::move(usage)) {}
  void Add(std::string name, std::string default_value, std::string help);
  void AddBool(std::string name, std::string help);
  // Parses argv[first..argc). Sets help_requested() on --help / -h.
  absl::Status Parse(int argc, char** argv, int first);

  std::string Get(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  // INVALID_ARGUMENT naming the flag when the value is not a number in range.
  absl::Status GetInt(const std::string& name, long long lo, long long hi, long long* out) const;
  absl::Status GetDouble(const std::string& name, double lo, double hi, double* out) const;
  const std::vector<std::string>& positional() const { return positional_; }
  bool help_requested() const { return help_; }
  std::string Help() const;

 private:
  struct Flag {
    std::string name, value, default_value, help;
    bool is_bool = false;
  };
  Flag* Find(const std::string& name);
  const Flag* Find(const std::string& name) const;
  std::string command_, summary_, usage_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace clinsim::apps

#endif  // CLINSIM_APPS_CLINSIM_FLAGS_H_
