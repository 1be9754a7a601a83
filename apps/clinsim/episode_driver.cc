#include "apps/clinsim/episode_driver.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agents/doctors/doctor.h"
#include "env/serialize.h"

namespace clinsim::apps {

nlohmann::json StepRecord(const env::Action& action, const env::StepResult& r) {
  return {{"action", env::FormatAction(action)},
          {"reward", r.reward},
          {"reward_breakdown", r.reward_breakdown.ToMap()},
          {"terminated", r.terminated},
          {"truncated", r.truncated},
          {"findings", env::FindingsToJson(r.observation.findings)},
          {"cost_usd", r.info.total_cost_usd},
          {"errors", r.info.errors}};
}

namespace {

class Driver {
 public:
  Driver(std::shared_ptr<const env::World> world, const DriverOptions& options,
         const std::vector<EpisodeJob>& jobs,
         std::function<absl::Status(size_t, EpisodeOutcome)> finished)
      : world_(std::move(world)), options_(options), jobs_(jobs), finished_(std::move(finished)) {}

  absl::Status Run() {
    const size_t first = std::min<size_t>(jobs_.size(), std::max(1, options_.concurrency));
    for (size_t i = 0; i < first; ++i) {
      size_t job = 0;
      {
        absl::MutexLock l(&mu_);
        if (!ClaimLocked(&job)) break;
      }
      Start(job);
    }
    std::vector<std::thread> workers;
    for (int t = 0; t < std::max(1, options_.threads); ++t) workers.emplace_back([this] { Work(); });
    for (auto& w : workers) w.join();
    absl::MutexLock l(&mu_);
    return error_;
  }

 private:
  // One episode in flight. Only one thread touches it at a time: whoever popped it from the
  // ready queue, or the model callback that pushes it back.
  struct Episode {
    size_t job = 0;
    std::unique_ptr<env::Episode> ep;
    std::unique_ptr<agents::Doctor> doctor;
    env::Action action;
    absl::StatusOr<env::StepResult> last = absl::UnknownError("no step yet");
    bool stepped = false;  // `last` holds a step not yet looked at
    nlohmann::json steps = nlohmann::json::array();
  };

  void Push(Episode* e) {
    absl::MutexLock l(&mu_);
    ready_.push_back(e);
  }

  // Takes the next job, unless none is left or something has failed.
  bool ClaimLocked(size_t* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!error_.ok() || next_job_ >= jobs_.size()) return false;
    *job = next_job_++;
    ++in_flight_;
    return true;
  }

  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !ready_.empty() || in_flight_ == 0; }

  void Start(size_t job) {
    auto e = std::make_unique<Episode>();
    e->job = job;
    auto ep = env::Episode::Create(world_, jobs_[job].case_id, jobs_[job].seed, options_.options);
    if (!ep.ok()) return Finish(std::move(e), ep.status());
    auto doctor = agents::CreateDoctor(options_.doctor);
    if (!doctor.ok()) return Finish(std::move(e), doctor.status());
    e->ep = *std::move(ep);
    e->doctor = *std::move(doctor);
    e->doctor->Configure(options_.options);
    Episode* raw = e.release();  // owned by the state machine until Finish
    raw->doctor->StartAsync(raw->ep->initial_observation(), jobs_[job].seed, [this, raw](env::Action a) {
      raw->action = std::move(a);
      Push(raw);
    });
  }

  void Work() {
    for (;;) {
      Episode* e = nullptr;
      {
        absl::MutexLock l(&mu_);
        // Wakes up now and then even without a signal: no wait without a deadline.
        while (!mu_.AwaitWithTimeout(absl::Condition(this, &Driver::HasWork), absl::Seconds(1))) {}
        if (ready_.empty()) return;  // in_flight_ == 0: everything has ended
        e = ready_.front();
        ready_.pop_front();
      }
      Advance(std::unique_ptr<Episode>(e));
    }
  }

  void Advance(std::unique_ptr<Episode> e) {
    for (;;) {
      if (e->stepped) {
        e->stepped = false;
        if (!e->last.ok()) return Finish(std::move(e), e->last.status());
        if (options_.trajectories) e->steps.push_back(StepRecord(e->action, *e->last));
        if (e->ep->done()) return Finish(std::move(e), absl::OkStatus());
        Episode* raw = e.release();
        raw->doctor->ActOnStepAsync(*raw->last, [this, raw](env::Action a) {
          raw->action = std::move(a);
          Push(raw);
        });
        return;
      }
      if (absl::Status s = e->doctor->status(); !s.ok()) return Finish(std::move(e), s);
      if (!e->ep->options().roles.any_llm()) {
        e->last = e->ep->Step(e->action);
        e->stepped = true;
        continue;
      }
      std::unique_ptr<env::Episode> copy = e->ep->Clone();
      Episode* raw = e.release();
      env::StepWithLlm(std::move(copy), raw->action, options_.llm,
                       [this, raw](absl::StatusOr<env::StepResult> r, std::unique_ptr<env::Episode> stepped) {
                         if (r.ok()) raw->ep = std::move(stepped);
                         raw->last = std::move(r);
                         raw->stepped = true;
                         Push(raw);
                       });
      return;
    }
  }

  void Finish(std::unique_ptr<Episode> e, absl::Status s) {
    EpisodeOutcome out;
    if (s.ok()) {
      out.score = *e->ep->score();
      if (options_.trajectories) {
        out.trajectory = {{"messages", env::MessagesToJson(e->ep->transcript())},
                          {"steps", std::move(e->steps)}};
      }
    } else {
      out.score = absl::Status(s.code(), absl::StrCat("case ", jobs_[e->job].case_id, " seed ",
                                                      jobs_[e->job].seed, ": ", s.message()));
    }
    absl::Status error = out.score.ok() ? absl::OkStatus() : out.score.status();
    absl::Status recorded = finished_(e->job, std::move(out));
    if (error.ok()) error = recorded;
    e.reset();
    size_t job = 0;
    bool next = false;
    {
      absl::MutexLock l(&mu_);
      if (!error.ok() && error_.ok()) error_ = error;
      --in_flight_;
      next = ClaimLocked(&job);  // in the same critical section: in_flight_ never dips to 0 early
    }
    if (next) Start(job);
  }

  std::shared_ptr<const env::World> world_;
  const DriverOptions& options_;
  const std::vector<EpisodeJob>& jobs_;
  std::function<absl::Status(size_t, EpisodeOutcome)> finished_;
  absl::Mutex mu_;
  std::deque<Episode*> ready_ ABSL_GUARDED_BY(mu_);
  size_t next_job_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::Status DriveEpisodes(std::shared_ptr<const env::World> world, const DriverOptions& options,
                           const std::vector<EpisodeJob>& jobs,
                           std::function<absl::Status(size_t, EpisodeOutcome)> finished) {
  if (jobs.empty()) return absl::OkStatus();
  if (options.options.roles.any_llm() && options.llm == nullptr) {
    return absl::FailedPreconditionError("an LLM role was asked for but no LLM endpoint is configured "
                                         "(--llm-base-url)");
  }
  Driver d(std::move(world), options, jobs, std::move(finished));
  return d.Run();
}

}  // namespace clinsim::apps
