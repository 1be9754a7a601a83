#include <fstream>

#include "absl/strings/str_cat.h"
#include "apps/clinsim/commands.h"
#include "runs/report.h"

namespace clinsim::apps {
namespace {

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace

int ReportCommand(int argc, char** argv, int first) {
  FlagSet f("report",
            "Summarises run directories written by 'clinsim bench --run-dir': overall, per specialty\n"
            "and per difficulty, with 95% bootstrap intervals. Shard directories of one run are\n"
            "merged; different runs (doctors, noise) are compared side by side.",
            "DIR [DIR...]");
  f.Add("markdown", "", "also write the Markdown report to this path");
  f.Add("json", "", "also write the report as JSON to this path");
  f.Add("html", "", "write a self-contained HTML page (SVG plots, per-episode drill-down)");
  f.Add("resamples", "1000", "bootstrap resamples");
  if (auto s = f.Parse(argc, argv, first); !s.ok()) return Fail(s);
  if (f.help_requested() || f.positional().empty()) {
    std::cout << f.Help();
    return f.help_requested() ? 0 : 2;
  }
  long long resamples = 0;
  if (auto s = f.GetInt("resamples", 10, 100000, &resamples); !s.ok()) return Fail(s);
  auto groups = runs::LoadRuns(f.positional());
  if (!groups.ok()) return Fail(groups.status(), 1);
  runs::Report r = runs::BuildReport(*std::move(groups), static_cast<int>(resamples));
  std::string md = runs::ReportMarkdown(r);
  std::cout << md;
  if (!f.Get("markdown").empty()) {
    if (auto s = WriteFile(f.Get("markdown"), md); !s.ok()) return Fail(s, 1);
  }
  if (!f.Get("json").empty()) {
    if (auto s = WriteFile(f.Get("json"), runs::ReportJson(r).dump(2) + "\n"); !s.ok()) return Fail(s, 1);
  }
  if (!f.Get("html").empty()) {
    if (auto s = WriteFile(f.Get("html"), runs::ReportHtml(r)); !s.ok()) return Fail(s, 1);
  }
  return 0;
}

int ExportCommand(int argc, char** argv, int first) {
  FlagSet f("export",
            "Writes the episodes of run directories as JSON lines for training pipelines: messages in\n"
            "chat format (the doctor is the assistant), actions, per-step rewards and the score.",
            "DIR [DIR...]");
  f.Add("jsonl", "", "output path (required)");
  if (auto s = f.Parse(argc, argv, first); !s.ok()) return Fail(s);
  if (f.help_requested() || f.positional().empty()) {
    std::cout << f.Help();
    return f.help_requested() ? 0 : 2;
  }
  if (f.Get("jsonl").empty()) return Fail(absl::InvalidArgumentError("--jsonl PATH is required"));
  auto groups = runs::LoadRuns(f.positional());
  if (!groups.ok()) return Fail(groups.status(), 1);
  size_t n = 0;
  for (const auto& g : *groups) n += g.episodes.size();
  if (auto s = WriteFile(f.Get("jsonl"), runs::ExportJsonl(*groups)); !s.ok()) return Fail(s, 1);
  std::cout << "wrote " << n << " episodes to " << f.Get("jsonl") << "\n";
  return 0;
}

}  // namespace clinsim::apps
