// clinsim: the one command-line program (serve, bench, play, cases, report, export).
#include <cstring>
#include <iostream>

#include "apps/clinsim/commands.h"
#include "env/server/remote_doctor.h"

namespace {

constexpr const char* kUsage = R"(usage: clinsim COMMAND [flags]

An interactive clinical consultation simulator: a doctor agent interviews a simulated patient,
asks for examination findings and test results, and commits to a diagnosis.

commands:
  serve    serve the environment over gRPC (clinsim.v1; health checking and reflection on)
  bench    run a doctor (built-in, or a Doctor service at grpc://HOST:PORT) over cases x seeds
           and report accuracy, cost and rubric coverage
  play     play the doctor yourself in the terminal (or from a pipe), one tagged action per line
  cases    list, show, validate and import cases (cases list | show ID | validate DIR | import ...)
  report   summarise run directories (tables with bootstrap intervals, Markdown, JSON, HTML)
  export   write the episodes of run directories as JSON lines for training

Run 'clinsim COMMAND --help' for the flags of a command, with their defaults.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  clinsim::server::RegisterRemoteDoctors();  // bench --doctor grpc://HOST:PORT
  std::string cmd = argv[1];
  if (cmd == "serve") return clinsim::apps::ServeCommand(argc, argv, 2);
  if (cmd == "bench") return clinsim::apps::BenchCommand(argc, argv, 2);
  if (cmd == "play") return clinsim::apps::PlayCommand(argc, argv, 2, std::cin, std::cout);
  if (cmd == "cases") return clinsim::apps::CasesCommand(argc, argv, 2);
  if (cmd == "report") return clinsim::apps::ReportCommand(argc, argv, 2);
  if (cmd == "export") return clinsim::apps::ExportCommand(argc, argv, 2);
  std::cerr << "clinsim: unknown command '" << cmd << "'\n\n" << kUsage;
  return 2;
}
