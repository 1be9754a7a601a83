// The subcommands of the `clinsim` program. Each takes the full argv and the index of its first
// own argument, prints to stdout/stderr, and returns the process exit code.
#ifndef CLINSIM_APPS_CLINSIM_COMMANDS_H_
#define CLINSIM_APPS_CLINSIM_COMMANDS_H_

#include <iostream>

#include "absl/status/status.h"
#include "apps/clinsim/flags.h"
#include "env/episode.h"

namespace clinsim::apps {

int BenchCommand(int argc, char** argv, int first);
int PlayCommand(int argc, char** argv, int first, std::istream& in, std::ostream& out);
int CasesCommand(int argc, char** argv, int first);
int ReportCommand(int argc, char** argv, int first);
int ExportCommand(int argc, char** argv, int first);
int ServeCommand(int argc, char** argv, int first);

// Shared episode flags (--max-turns, --visit-fee, --budget, --dense-reward) and their reading.
void AddEpisodeFlags(FlagSet* f);
absl::Status ReadEpisodeFlags(const FlagSet& f, env::EpisodeOptions* options);
// Prints "clinsim: <message>" to stderr and returns `code`.
int Fail(const absl::Status& s, int code = 2);

}  // namespace clinsim::apps

#endif  // CLINSIM_APPS_CLINSIM_COMMANDS_H_
