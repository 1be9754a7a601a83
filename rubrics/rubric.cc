#include "rubrics/rubric.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace clinsim::rubrics {

const char* ItemStatusName(ItemStatus s) {
  switch (s) {
    case ItemStatus::kMet: return "met";
    case ItemStatus::kUnmet: return "unmet";
    case ItemStatus::kUngraded: return "ungraded";
  }
  return "ungraded";
}

RubricScore GradeRubric(const std::vector<cases::RubricItem>& items, const RubricEvidence& ev,
                        const NameMatcher& matcher, FreeTextGrader* grader) {
  RubricScore out;
  std::map<std::string, std::pair<double, double>> axis;  // met, possible
  for (const auto& it : items) {
    ItemGrade g{it.id, it.text, it.axis, it.kind, it.points, it.derived, ItemStatus::kUnmet, ""};
    auto any_in = [&](const std::set<std::string>& s) {
      return std::any_of(it.targets.begin(), it.targets.end(),
                         [&](const std::string& t) { return s.contains(t); });
    };
    if (it.kind == "must_ask") {
      g.status = any_in(ev.facts_revealed) ? ItemStatus::kMet : ItemStatus::kUnmet;
    } else if (it.kind == "must_examine") {
      g.status = any_in(ev.systems_examined) ? ItemStatus::kMet : ItemStatus::kUnmet;
    } else if (it.kind == "must_order" || it.kind == "avoid") {
      g.status = any_in(ev.tests_ordered) ? ItemStatus::kMet : ItemStatus::kUnmet;
    } else if (it.kind == "differential") {
      bool met = false;
      for (const auto& t : it.targets) {
        if (matcher && matcher(ev.diagnosis, t)) met = true;
        for (const auto& d : ev.differential) met = met || (matcher && matcher(d, t));
      }
      g.status = met ? ItemStatus::kMet : ItemStatus::kUnmet;
    } else {
      g.status = ItemStatus::kUngraded;
      if (grader != nullptr) {
        std::optional<bool> r = grader->Grade(it, ev, &g.explanation);
        if (r.has_value()) g.status = *r ? ItemStatus::kMet : ItemStatus::kUnmet;
      }
    }
    if (g.status == ItemStatus::kUngraded) {
      ++out.ungraded;
    } else {
      auto& [met, possible] = axis[it.axis];
      if (it.points > 0) {
        possible += it.points;
        out.possible_points += it.points;
      }
      if (g.status == ItemStatus::kMet) {
        met += it.points;
        out.met_points += it.points;
      }
    }
    out.items.push_back(std::move(g));
  }
  auto clip = [](double met, double possible) {
    if (possible <= 0) return 0.0;
    return std::clamp(met / possible, 0.0, 1.0);
  };
  out.coverage = clip(out.met_points, out.possible_points);
  for (const auto& [name, mp] : axis) out.axis_coverage[name] = clip(mp.first, mp.second);
  return out;
}

std::vector<cases::RubricItem> DeriveRubric(const cases::Case& c,
                                            const cases::TestCatalog& catalog) {
  std::vector<cases::RubricItem> out;
  for (const auto& f : c.facts) {
    if (!f.key) continue;
    out.push_back({absl::StrCat("derived_ask_", f.id), absl::StrCat("Asks about: ", f.text), 2,
                   "history", "must_ask", {f.id}, true});
  }
  std::vector<std::pair<double, std::string>> normal_tests;
  for (const auto& t : c.tests) {
    const cases::CatalogTest* ct = catalog.FindById(t.catalog_id);
    std::string name = ct != nullptr ? ct->name : t.name;
    std::string target = t.catalog_id.empty() ? absl::StrCat("custom:", t.id) : t.catalog_id;
    if (t.abnormal) {
      out.push_back({absl::StrCat("derived_order_", t.id), absl::StrCat("Orders ", name), 3,
                     "tests", "must_order", {target}, true});
    } else if (ct != nullptr) {
      normal_tests.emplace_back(ct->usd, t.catalog_id);
    }
  }
  std::sort(normal_tests.begin(), normal_tests.end(), std::greater<>());
  for (size_t i = 0; i < normal_tests.size() && i < 2; ++i) {
    if (normal_tests[i].first < 100) break;  // only expensive normal tests are worth avoiding
    const cases::CatalogTest* ct = catalog.FindById(normal_tests[i].second);
    out.push_back({absl::StrCat("derived_avoid_", normal_tests[i].second),
                   absl::StrCat("Orders ", ct->name, ", an expensive test that is normal here"), -2,
                   "tests", "avoid", {normal_tests[i].second}, true});
  }
  return out;
}

}  // namespace clinsim::rubrics
