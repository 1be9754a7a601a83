#include "agents/doctors/doctor.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/doctors/human_doctor.h"
#include "agents/doctors/random_doctor.h"
#include "agents/doctors/scripted_doctor.h"

namespace clinsim::agents {
namespace {

std::map<std::string, DoctorFactory>& Registry() {
  static auto* r = new std::map<std::string, DoctorFactory>{
      {"random", [] { return std::make_unique<RandomDoctor>(); }},
      {"scripted", [] { return std::make_unique<ScriptedDoctor>(); }},
      {"human", [] { return std::make_unique<HumanDoctor>(); }},
  };
  return *r;
}

std::map<std::string, DoctorSchemeFactory>& Schemes() {
  static auto* r = new std::map<std::string, DoctorSchemeFactory>;
  return *r;
}

}  // namespace

std::vector<std::string> DoctorNames() {
  std::vector<std::string> out;
  for (const auto& [name, f] : Registry()) out.push_back(name);
  for (const auto& [scheme, f] : Schemes()) out.push_back(scheme + "://HOST:PORT");
  return out;
}

absl::StatusOr<std::unique_ptr<Doctor>> CreateDoctor(const std::string& name) {
  if (size_t p = name.find("://"); p != std::string::npos) {
    auto s = Schemes().find(name.substr(0, p));
    if (s == Schemes().end()) {
      return absl::NotFoundError(absl::StrCat("unknown doctor address scheme in '", name,
                                              "'; choose one of: ", absl::StrJoin(DoctorNames(), ", ")));
    }
    return s->second(name);
  }
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    return absl::NotFoundError(absl::StrCat("unknown doctor '", name, "'; choose one of: ",
                                            absl::StrJoin(DoctorNames(), ", ")));
  }
  return it->second();
}

void RegisterDoctor(const std::string& name, DoctorFactory factory) {
  Registry()[name] = std::move(factory);
}

void RegisterDoctorScheme(const std::string& scheme, DoctorSchemeFactory factory) {
  Schemes()[scheme] = std::move(factory);
}

}  // namespace clinsim::agents
