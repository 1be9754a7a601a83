#include "runs/report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/random.h"

namespace clinsim::runs {
namespace {

Estimate Bootstrap(const std::vector<double>& xs, int resamples, uint64_t seed) {
  Estimate e;
  if (xs.empty()) return e;
  double sum = 0;
  for (double x : xs) sum += x;
  e.mean = sum / xs.size();
  Rng rng(seed);
  std::vector<double> means;
  means.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    double s = 0;
    for (size_t i = 0; i < xs.size(); ++i) s += xs[rng.Uniform(static_cast<uint32_t>(xs.size()))];
    means.push_back(s / xs.size());
  }
  std::sort(means.begin(), means.end());
  e.low = means[static_cast<size_t>(0.025 * (resamples - 1))];
  e.high = means[static_cast<size_t>(0.975 * (resamples - 1))];
  return e;
}

Stats Compute(const std::vector<const StoredEpisode*>& eps, int resamples, uint64_t seed) {
  Stats s;
  s.episodes = static_cast<int>(eps.size());
  std::vector<double> acc, cost, cov;
  std::map<std::string, std::pair<double, int>> axes;
  double turns = 0;
  for (const StoredEpisode* e : eps) {
    acc.push_back(e->score.value("correct", false) ? 1.0 : 0.0);
    cost.push_back(e->score.value("cost_usd", 0.0));
    cov.push_back(e->score.value("rubric_coverage", 0.0));
    turns += e->score.value("turns", 0);
    const nlohmann::json axis_cov = e->score.value("rubric_axis_coverage", nlohmann::json::object());
    for (const auto& [axis, v] : axis_cov.items()) {
      axes[axis].first += v.get<double>();
      axes[axis].second += 1;
    }
  }
  s.accuracy = Bootstrap(acc, resamples, seed);
  s.cost_usd = Bootstrap(cost, resamples, seed + 1);
  s.rubric_coverage = Bootstrap(cov, resamples, seed + 2);
  s.mean_turns = eps.empty() ? 0 : turns / eps.size();
  for (const auto& [axis, sc] : axes) s.axis_coverage[axis] = sc.first / sc.second;
  return s;
}

std::string Label(const nlohmann::json& config) {
  std::string label = config.value("doctor", std::string("?"));
  std::string noise = config.contains("noise") ? config["noise"].value("name", std::string("none")) : "none";
  if (noise != "none") absl::StrAppend(&label, " / noise ", noise);
  std::string persona = config.value("persona", std::string("plain"));
  if (persona != "plain") {
    absl::StrAppend(&label, " / persona ", persona);
  }
  return label;
}

std::string Html(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// "mean [low, high]" with `decimals` digits after the point.
std::string Fmt(const Estimate& e, double scale, int decimals) {
  auto f = [decimals](double v) { return absl::StrFormat("%.*f", decimals, v); };
  return absl::StrCat(f(e.mean * scale), " [", f(e.low * scale), ", ", f(e.high * scale), "]");
}

}  // namespace

absl::StatusOr<std::vector<RunGroup>> LoadRuns(const std::vector<std::string>& dirs) {
  std::vector<RunGroup> groups;
  for (const auto& dir : dirs) {
    auto data = RunStore::Load(dir);
    if (!data.ok()) return data.status();
    nlohmann::json key = data->config;
    key.erase("shard");  // shards of one run merge
    auto it = std::find_if(groups.begin(), groups.end(), [&](const RunGroup& g) { return g.config == key; });
    if (it == groups.end()) {
      groups.push_back({Label(key), key, {}, {}, {}, {}, {}});
      it = groups.end() - 1;
    }
    it->dirs.push_back(dir);
    std::set<std::pair<std::string, uint64_t>> have;
    for (const auto& e : it->episodes) have.emplace(e.case_id, e.seed);
    for (auto& e : data->episodes) {
      if (have.emplace(e.case_id, e.seed).second) it->episodes.push_back(std::move(e));
    }
    std::sort(it->episodes.begin(), it->episodes.end(), [](const auto& a, const auto& b) {
      return std::tie(a.case_id, a.seed) < std::tie(b.case_id, b.seed);
    });
  }
  return groups;
}

Report BuildReport(std::vector<RunGroup> groups, int resamples) {
  Report r;
  for (auto& g : groups) {
    std::vector<const StoredEpisode*> all;
    std::map<std::string, std::vector<const StoredEpisode*>> spec, diff;
    for (const auto& e : g.episodes) {
      all.push_back(&e);
      spec[e.score.value("specialty", std::string("?"))].push_back(&e);
      diff[e.score.value("difficulty", std::string("?"))].push_back(&e);
    }
    g.overall = Compute(all, resamples, 1);
    for (const auto& [k, v] : spec) g.by_specialty[k] = Compute(v, resamples, 1);
    for (const auto& [k, v] : diff) g.by_difficulty[k] = Compute(v, resamples, 1);
    r.groups.push_back(std::move(g));
  }
  return r;
}

std::string ReportMarkdown(const Report& r) {
  std::string out = "# clinsim report\n\nMeans with 95% bootstrap intervals.\n\n";
  auto table = [&](const std::string& title, auto rows) {
    absl::StrAppend(&out, "## ", title, "\n\n| run | group | episodes | accuracy % | mean cost $ | rubric coverage % | turns |\n|---|---|---|---|---|---|---|\n");
    for (const auto& [run, group, s] : rows) {
      absl::StrAppend(&out, "| ", run, " | ", group, " | ", s->episodes, " | ",
                      Fmt(s->accuracy, 100, 1), " | ", Fmt(s->cost_usd, 1, 0), " | ",
                      Fmt(s->rubric_coverage, 100, 1), " | ", absl::StrFormat("%.1f", s->mean_turns), " |\n");
    }
    out += "\n";
  };
  using Row = std::tuple<std::string, std::string, const Stats*>;
  std::vector<Row> overall, spec, diff;
  for (const auto& g : r.groups) {
    overall.emplace_back(g.label, "all", &g.overall);
    for (const auto& [k, s] : g.by_specialty) spec.emplace_back(g.label, k, &s);
    for (const auto& [k, s] : g.by_difficulty) diff.emplace_back(g.label, k, &s);
  }
  table("Overall", overall);
  table("By difficulty", diff);
  table("By specialty", spec);
  absl::StrAppend(&out, "## Rubric coverage by axis (%)\n\n| run | ");
  std::set<std::string> axes;
  for (const auto& g : r.groups) {
    for (const auto& [a, v] : g.overall.axis_coverage) axes.insert(a);
  }
  absl::StrAppend(&out, absl::StrJoin(axes, " | "), " |\n|---|", std::string(axes.size() * 4, '-'), "\n");
  for (const auto& g : r.groups) {
    absl::StrAppend(&out, "| ", g.label, " |");
    for (const auto& a : axes) {
      auto it = g.overall.axis_coverage.find(a);
      absl::StrAppend(&out, " ", it == g.overall.axis_coverage.end() ? std::string("-") : absl::StrFormat("%.1f", 100 * it->second), " |");
    }
    out += "\n";
  }
  return out;
}

nlohmann::json ReportJson(const Report& r) {
  auto stats = [](const Stats& s) {
    auto est = [](const Estimate& e) { return nlohmann::json{{"mean", e.mean}, {"low", e.low}, {"high", e.high}}; };
    return nlohmann::json{{"episodes", s.episodes}, {"accuracy", est(s.accuracy)},
                          {"cost_usd", est(s.cost_usd)}, {"rubric_coverage", est(s.rubric_coverage)},
                          {"mean_turns", s.mean_turns}, {"axis_coverage", s.axis_coverage}};
  };
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& g : r.groups) {
    nlohmann::json spec = nlohmann::json::object(), diff = nlohmann::json::object();
    for (const auto& [k, s] : g.by_specialty) spec[k] = stats(s);
    for (const auto& [k, s] : g.by_difficulty) diff[k] = stats(s);
    runs.push_back({{"label", g.label}, {"dirs", g.dirs}, {"config", g.config},
                    {"overall", stats(g.overall)}, {"by_specialty", spec}, {"by_difficulty", diff}});
  }
  return {{"runs", runs}};
}

std::string ReportHtml(const Report& r) {
  std::string out = R"(<!doctype html><html><head><meta charset="utf-8"><title>clinsim report</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}
details{margin:4px 0}pre{white-space:pre-wrap;background:#fafafa;padding:6px}</style></head><body>
<h1>clinsim report</h1><p>Means with 95% bootstrap intervals. Self-contained: no scripts, no network.</p>)";
  // Pareto view: accuracy against mean cost, one point per run.
  const double W = 640, H = 360, L = 60, B = 40;
  double max_cost = 1;
  for (const auto& g : r.groups) max_cost = std::max(max_cost, g.overall.cost_usd.high);
  absl::StrAppend(&out, "<h2>Accuracy against mean cost</h2><svg width=\"", W, "\" height=\"", H,
                  "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"accuracy vs cost\">",
                  absl::StrFormat("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#000\"/>", L, H - B, W - 10, H - B),
                  absl::StrFormat("<line x1=\"%g\" y1=\"10\" x2=\"%g\" y2=\"%g\" stroke=\"#000\"/>", L, L, H - B),
                  absl::StrFormat("<text x=\"%g\" y=\"%g\" font-size=\"12\">mean cost per episode ($, 0..%.0f)</text>", L + 150, H - 8, max_cost),
                  absl::StrFormat("<text x=\"8\" y=\"20\" font-size=\"12\">accuracy (0..100%%)</text>"));
  static const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  for (size_t i = 0; i < r.groups.size(); ++i) {
    const auto& s = r.groups[i].overall;
    auto x = [&](double c) { return L + (W - L - 20) * c / max_cost; };
    auto y = [&](double a) { return (H - B) - (H - B - 20) * a; };
    const char* col = kColors[i % 6];
    absl::StrAppend(&out,
                    absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x(s.cost_usd.mean), y(s.accuracy.low), x(s.cost_usd.mean), y(s.accuracy.high), col),
                    absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x(s.cost_usd.low), y(s.accuracy.mean), x(s.cost_usd.high), y(s.accuracy.mean), col),
                    absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>", x(s.cost_usd.mean), y(s.accuracy.mean), col),
                    absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"%s\">%s</text>", x(s.cost_usd.mean) + 8, y(s.accuracy.mean) - 6, col, Html(r.groups[i].label)));
  }
  out += "</svg>";
  // Rubric coverage per axis: grouped bars.
  std::set<std::string> axes;
  for (const auto& g : r.groups) {
    for (const auto& [a, v] : g.overall.axis_coverage) axes.insert(a);
  }
  if (!axes.empty()) {
    double bw = 560.0 / (axes.size() * (r.groups.size() + 1));
    absl::StrAppend(&out, "<h2>Rubric coverage by axis</h2><svg width=\"640\" height=\"260\" xmlns=\"http://www.w3.org/2000/svg\">");
    size_t ai = 0;
    for (const auto& a : axes) {
      double x0 = 40 + ai * bw * (r.groups.size() + 1);
      for (size_t gi = 0; gi < r.groups.size(); ++gi) {
        auto it = r.groups[gi].overall.axis_coverage.find(a);
        double v = it == r.groups[gi].overall.axis_coverage.end() ? 0 : it->second;
        absl::StrAppend(&out, absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.1f%%</title></rect>",
                                              x0 + gi * bw, 220 - 200 * v, bw * 0.9, 200 * v, kColors[gi % 6], Html(r.groups[gi].label), a, 100 * v));
      }
      absl::StrAppend(&out, absl::StrFormat("<text x=\"%.1f\" y=\"240\" font-size=\"11\">%s</text>", x0, a));
      ++ai;
    }
    out += "</svg>";
  }
  // Tables.
  auto row = [&](const std::string& a, const std::string& b, const Stats& s) {
    absl::StrAppend(&out, "<tr><td>", Html(a), "</td><td>", Html(b), "</td><td>", s.episodes, "</td><td>",
                    Fmt(s.accuracy, 100, 1), "</td><td>", Fmt(s.cost_usd, 1, 0), "</td><td>",
                    Fmt(s.rubric_coverage, 100, 1), "</td><td>", absl::StrFormat("%.1f", s.mean_turns), "</td></tr>");
  };
  out += "<h2>Results</h2><table><tr><th>run</th><th>group</th><th>episodes</th><th>accuracy %</th><th>mean cost $</th><th>rubric %</th><th>turns</th></tr>";
  for (const auto& g : r.groups) {
    row(g.label, "all", g.overall);
    for (const auto& [k, s] : g.by_difficulty) row(g.label, k, s);
    for (const auto& [k, s] : g.by_specialty) row(g.label, k, s);
  }
  out += "</table>";
  // Drill-down: every episode, its transcript, costs and rubric items.
  for (const auto& g : r.groups) {
    absl::StrAppend(&out, "<h2>Episodes: ", Html(g.label), "</h2>");
    for (const auto& e : g.episodes) {
      const auto& s = e.score;
      absl::StrAppend(&out, "<details><summary>", Html(e.case_id), " seed ", e.seed, ": ",
                      s.value("correct", false) ? "correct" : "not correct", " (", s.value("judge_score", 1),
                      "/5), $", absl::StrFormat("%.2f", s.value("cost_usd", 0.0)), ", rubric ",
                      absl::StrFormat("%.0f%%", 100 * s.value("rubric_coverage", 0.0)), "</summary>");
      absl::StrAppend(&out, "<p>diagnosis: ", Html(s.value("diagnosis", std::string())), " &mdash; answer: ",
                      Html(s.value("true_diagnosis", std::string())), "</p><ul>");
      for (const auto& it : s.value("rubric_items", nlohmann::json::array())) {
        absl::StrAppend(&out, "<li>[", Html(it.value("status", std::string())), "] ",
                        absl::StrFormat("%+.0f", it.value("points", 0.0)), " ", Html(it.value("text", std::string())), "</li>");
      }
      out += "</ul><pre>";
      for (const auto& m : e.trajectory.value("messages", nlohmann::json::array())) {
        absl::StrAppend(&out, Html(m.value("role", std::string())), ": ", Html(m.value("content", std::string())), "\n");
      }
      out += "</pre></details>";
    }
  }
  out += "</body></html>\n";
  return out;
}

std::string ExportJsonl(const std::vector<RunGroup>& groups) {
  std::string out;
  for (const auto& g : groups) {
    for (const auto& e : g.episodes) {
      nlohmann::json messages = nlohmann::json::array();
      // Chat format from the doctor's side: the doctor is the assistant, everything else the user.
      for (const auto& m : e.trajectory.value("messages", nlohmann::json::array())) {
        std::string role = m.value("role", std::string());
        messages.push_back({{"role", role == "doctor" ? "assistant" : "user"},
                            {"name", role},
                            {"content", m.value("content", std::string())}});
      }
      nlohmann::json actions = nlohmann::json::array(), rewards = nlohmann::json::array();
      for (const auto& st : e.trajectory.value("steps", nlohmann::json::array())) {
        actions.push_back(st.value("action", std::string()));
        rewards.push_back(st.value("reward", 0.0));
      }
      nlohmann::json line = {{"run", g.label}, {"case_id", e.case_id}, {"seed", e.seed},
                             {"messages", messages}, {"actions", actions}, {"rewards", rewards},
                             {"score", e.score}};
      out += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out += "\n";
    }
  }
  return out;
}

}  // namespace clinsim::runs
