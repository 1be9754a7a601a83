#include "env/server/environment_handler.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/random.h"
#include "common/text.h"
#include "env/action.h"
#include "env/server/proto_convert.h"
#include "noise/noise.h"

namespace clinsim::server {
namespace {

constexpr size_t kMaxIdLength = 200;

uint64_t RandomSeed() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }());
  return gen();
}

absl::Status Unavailable() {
  return absl::UnavailableError("the server is shutting down; retry against another replica");
}

}  // namespace

void ToProto(const absl::Status& s, v1::Status* out) {
  out->set_code(static_cast<int>(s.code()));
  out->set_message(std::string(s.message()));
}

EnvironmentHandler::EnvironmentHandler(std::shared_ptr<const env::World> world, HandlerOptions options)
    : world_(std::move(world)), options_(std::move(options)), store_(options_.store) {
  for (const auto& c : world_->library().cases()) {
    case_ids_.push_back(c.id);
    specialties_.insert(c.specialty);
  }
  std::sort(case_ids_.begin(), case_ids_.end());

  spec_.set_api_version(kApiVersion);
  spec_.set_server_version(options_.server_version);
  for (const auto& t : world_->tests().tests()) {
    v1::CatalogTest* pt = spec_.add_tests();
    pt->set_id(t.id);
    pt->set_name(t.name);
    pt->set_code(t.code);
    pt->set_price_usd(t.usd);
    pt->set_discomfort(t.discomfort);
    for (const auto& a : t.aliases) pt->add_aliases(a);
    pt->set_category(t.category);
  }
  for (const auto& s : world_->exams().systems()) {
    v1::ExamSystem* ps = spec_.add_exam_systems();
    ps->set_id(s.id);
    ps->set_name(s.name);
    for (const auto& a : s.aliases) ps->add_aliases(a);
  }
  spec_.set_action_grammar(std::string(env::ActionGrammar()));
  for (const auto& [name, v] : env::RewardBreakdown{}.ToMap()) spec_.add_reward_components(name);
  v1::Limits* l = spec_.mutable_limits();
  l->set_max_text_length(static_cast<int>(env::kMaxTextLength));
  l->set_max_tests_per_order(static_cast<int>(env::kMaxTestsPerOrder));
  l->set_max_message_bytes(options_.max_message_bytes);
  l->set_max_batch_items(options_.max_batch_items);
  l->set_max_episodes(options_.store.max_episodes);
  l->set_episode_idle_ttl_seconds(static_cast<int>(absl::ToInt64Seconds(options_.store.idle_ttl)));
  l->set_max_turns(1000);
  l->set_max_episodes_per_client(options_.store.max_episodes_per_client);
  for (const auto& t : noise::NoiseTypes()) spec_.add_noise_types(t.name);
  for (const auto& [name, p] : noise::DefaultProfiles()) spec_.add_noise_profiles(name);
  env::EpisodeOptions defaults;
  defaults.roles = options_.default_roles;
  ToProto(defaults, spec_.mutable_default_options());
  spec_.set_case_count(static_cast<int>(case_ids_.size()));
  spec_.set_llm_available(options_.llm != nullptr);
}

absl::Status EnvironmentHandler::ListCases(const v1::ListCasesRequest& req, v1::ListCasesResponse* resp) const {
  if (!req.specialty().empty() && !specialties_.contains(req.specialty())) {
    return absl::InvalidArgumentError(absl::StrCat("no case has specialty '", SafeUtf8Prefix(req.specialty(), 80),
                                                   "'; the specialties are: ", absl::StrJoin(specialties_, ", ")));
  }
  if (!req.difficulty().empty() && req.difficulty() != "easy" && req.difficulty() != "medium" &&
      req.difficulty() != "hard") {
    return absl::InvalidArgumentError("difficulty must be easy, medium or hard");
  }
  for (const auto& id : case_ids_) {
    const cases::Case* c = world_->FindCase(id);
    if (!req.specialty().empty() && c->specialty != req.specialty()) continue;
    if (!req.difficulty().empty() && c->difficulty != req.difficulty()) continue;
    v1::CaseSummary* s = resp->add_cases();
    s->set_id(c->id);
    s->set_specialty(c->specialty);
    s->set_difficulty(c->difficulty);
    s->set_source(c->source.kind == "imported" ? c->source.origin : std::string("clinsim"));
  }
  return absl::OkStatus();
}

absl::Status EnvironmentHandler::CheckEpisodeId(const std::string& id) const {
  if (id.empty()) {
    return absl::InvalidArgumentError("episode_id is empty; use the id that Reset returned");
  }
  if (id.size() > kMaxIdLength || !IsValidUtf8(id)) {
    return absl::InvalidArgumentError("episode_id is not an id this server issued");
  }
  return absl::OkStatus();
}

absl::Status EnvironmentHandler::Reset(const v1::ResetRequest& req, v1::ResetResponse* resp,
                                       absl::string_view client) {
  if (draining()) return Unavailable();
  if (req.case_id().size() > kMaxIdLength || !IsValidUtf8(req.case_id())) {
    return absl::InvalidArgumentError("case_id is not a case id; ListCases gives the ids");
  }
  absl::StatusOr<env::EpisodeOptions> options = OptionsFromProto(req.options());
  if (!options.ok()) return options.status();
  const v1::EpisodeOptions& o = req.options();
  if (o.patient().empty()) options->roles.patient = options_.default_roles.patient;
  if (o.gatekeeper().empty()) options->roles.gatekeeper = options_.default_roles.gatekeeper;
  if (o.judge().empty()) options->roles.judge = options_.default_roles.judge;
  if (o.grader().empty()) options->roles.grader = options_.default_roles.grader;
  if (options->roles.any_llm() && options_.llm == nullptr) {
    return absl::FailedPreconditionError(
        "the episode asks for an LLM role but this server has no LLM endpoint; start serve with "
        "--llm-base-url (docs/llm.md) or leave the roles rule-based");
  }
  const uint64_t seed = req.has_seed() ? req.seed() : RandomSeed();
  std::string case_id = req.case_id();
  if (case_id.empty()) {
    if (case_ids_.empty()) return absl::FailedPreconditionError("the server has no cases loaded");
    case_id = case_ids_[DeriveSeed(seed, "case") % case_ids_.size()];
  } else if (world_->FindCase(case_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown case '", case_id,
                                            "'; ListCases gives the ids this server has"));
  }
  absl::StatusOr<EpisodeStore::Reservation> slot = store_.Reserve(client);
  if (!slot.ok()) return slot.status();
  absl::StatusOr<std::unique_ptr<env::Episode>> ep = env::Episode::Create(world_, case_id, seed, *options);
  if (!ep.ok()) return ep.status();
  ToProto((*ep)->initial_observation(), resp->mutable_observation());
  resp->set_seed(seed);
  if (!req.case_id().empty()) resp->set_case_id(case_id);
  resp->set_max_turns(options->max_turns);
  resp->set_budget_usd(options->budget_usd);
  resp->set_episode_id(store_.Add(*std::move(slot), *std::move(ep), req.options().invalid_action_as_turn()));
  return absl::OkStatus();
}

void EnvironmentHandler::StepAsync(const v1::StepRequest& req, v1::StepResponse* resp, Done done) {
  if (draining()) return std::move(done)(Unavailable());
  if (auto s = CheckEpisodeId(req.episode_id()); !s.ok()) return std::move(done)(s);
  // Parse before looking the episode up: a malformed action changes nothing.
  absl::StatusOr<env::Action> action = ActionFromProto(req.action());
  std::shared_ptr<EpisodeStore::Entry> e = store_.Find(req.episode_id());
  if (e == nullptr) {
    return std::move(done)(absl::NotFoundError(absl::StrCat(
        "unknown episode '", SafeUtf8Prefix(req.episode_id(), 80),
        "': it was closed, expired after ", absl::FormatDuration(store_.options().idle_ttl),
        " idle, or never existed; Reset starts a new one")));
  }
  const bool as_turn = !action.ok() && e->invalid_action_as_turn &&
                       req.action().kind_case() != v1::Action::KIND_NOT_SET;
  if (!action.ok() && !as_turn) return std::move(done)(action.status());
  absl::Status status;
  bool ended = false;
  std::unique_ptr<env::Episode> copy;
  {
    absl::MutexLock l(&e->mu);
    env::Episode& ep = *e->episode;
    if (ep.done()) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "episode '", req.episode_id(), "' has ended (", ep.score()->end_reason,
          "); GetScore gives its evaluation and Reset starts a new one"));
    } else if (e->busy) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "episode '", req.episode_id(), "' is still running its previous step (a model is "
          "answering); send the next step after that reply"));
    } else if (action.ok() && ep.options().roles.any_llm()) {
      // A model plays a role: step a copy without holding the lock (see env/llm_step.h).
      e->busy = true;
      copy = ep.Clone();
    } else {
      absl::StatusOr<env::StepResult> r =
          action.ok() ? ep.Step(*action)
          : req.action().has_text() ? ep.StepText(req.action().text())
                                    : ep.Step(UncheckedActionFromProto(req.action()));
      if (r.ok()) {
        ToProto(*r, resp);
        ended = ep.done();
        if (ended && req.include_score()) ToProto(*ep.score(), resp->mutable_score());
      } else {
        status = r.status();
      }
    }
  }
  if (copy == nullptr) {
    if (ended && req.close_on_end()) store_.Remove(req.episode_id());
    return std::move(done)(status);
  }
  env::StepWithLlm(
      std::move(copy), *std::move(action), options_.llm,
      [this, e, resp, done = std::move(done), id = req.episode_id(), include_score = req.include_score(),
       close_on_end = req.close_on_end()](absl::StatusOr<env::StepResult> r,
                                          std::unique_ptr<env::Episode> stepped) mutable {
        bool ended = false;
        {
          absl::MutexLock l(&e->mu);
          e->busy = false;
          if (r.ok()) {
            e->episode = std::move(stepped);
            ToProto(*r, resp);
            ended = e->episode->done();
            if (ended && include_score) ToProto(*e->episode->score(), resp->mutable_score());
          }
        }
        if (ended && close_on_end) store_.Remove(id);
        std::move(done)(r.status());
      });
}

absl::Status EnvironmentHandler::Step(const v1::StepRequest& req, v1::StepResponse* resp) {
  absl::Notification finished;
  absl::Status result;
  StepAsync(req, resp, [&](absl::Status s) {
    result = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

absl::Status EnvironmentHandler::ResetBatch(const v1::ResetBatchRequest& req, v1::ResetBatchResponse* resp,
                                            absl::string_view client) {
  if (req.items_size() > options_.max_batch_items) {
    return absl::InvalidArgumentError(absl::StrCat("the batch has ", req.items_size(),
                                                   " items; the limit is ", options_.max_batch_items));
  }
  resp->mutable_items()->Reserve(req.items_size());
  for (const auto& item : req.items()) {
    v1::ResetResult* out = resp->add_items();
    absl::Status s = Reset(item, out->mutable_response(), client);
    ToProto(s, out->mutable_status());
    if (!s.ok()) out->clear_response();
  }
  return absl::OkStatus();
}

void EnvironmentHandler::StepBatchAsync(const v1::StepBatchRequest& req, v1::StepBatchResponse* resp,
                                        Done done) {
  if (req.items_size() > options_.max_batch_items) {
    return std::move(done)(absl::InvalidArgumentError(absl::StrCat(
        "the batch has ", req.items_size(), " items; the limit is ", options_.max_batch_items)));
  }
  if (req.items_size() == 0) return std::move(done)(absl::OkStatus());
  resp->mutable_items()->Reserve(req.items_size());
  for (int i = 0; i < req.items_size(); ++i) resp->add_items();
  // Items run side by side; the batch answers when the last one has (with a model, in any order).
  struct Join {
    std::atomic<int> pending;
    Done done;
  };
  auto join = std::make_shared<Join>();
  join->pending.store(req.items_size());
  join->done = std::move(done);
  for (int i = 0; i < req.items_size(); ++i) {
    v1::StepResult* out = resp->mutable_items(i);
    StepAsync(req.items(i), out->mutable_response(), [out, join](absl::Status s) {
      ToProto(s, out->mutable_status());
      if (!s.ok()) out->clear_response();
      if (join->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::move(join->done)(absl::OkStatus());
      }
    });
  }
}

absl::Status EnvironmentHandler::StepBatch(const v1::StepBatchRequest& req, v1::StepBatchResponse* resp) {
  absl::Notification finished;
  absl::Status result;
  StepBatchAsync(req, resp, [&](absl::Status s) {
    result = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

absl::Status EnvironmentHandler::GetScore(const v1::GetScoreRequest& req, v1::Score* resp) {
  if (auto s = CheckEpisodeId(req.episode_id()); !s.ok()) return s;
  std::shared_ptr<EpisodeStore::Entry> e = store_.Find(req.episode_id());
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown episode '", SafeUtf8Prefix(req.episode_id(), 80),
                                            "': it was closed, expired, or never existed"));
  }
  absl::MutexLock l(&e->mu);
  const env::Score* score = e->episode->score();
  if (score == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "episode '", req.episode_id(), "' has not ended; the score exists only after a diagnosis, "
        "the turn limit or the budget ends it"));
  }
  ToProto(*score, resp);
  return absl::OkStatus();
}

absl::Status EnvironmentHandler::Close(const v1::CloseRequest& req) {
  if (auto s = CheckEpisodeId(req.episode_id()); !s.ok()) return s;
  if (!store_.Remove(req.episode_id())) {
    return absl::NotFoundError(absl::StrCat("unknown episode '", SafeUtf8Prefix(req.episode_id(), 80),
                                            "': it was closed, expired, or never existed"));
  }
  return absl::OkStatus();
}

void EnvironmentHandler::HandleSessionAsync(const v1::SessionRequest& req, SessionState* state,
                                            v1::SessionResponse* resp,
                                            absl::AnyInvocable<void() &&> done) {
  if (req.payload_case() != v1::SessionRequest::kStep) {
    HandleSession(req, state, resp);
    return std::move(done)();
  }
  v1::StepRequest step = req.step();
  if (step.episode_id().empty()) step.set_episode_id(state->last_episode);
  StepAsync(step, resp->mutable_step(), [resp, done = std::move(done)](absl::Status s) mutable {
    ToProto(s, resp->mutable_status());
    if (!s.ok()) resp->clear_payload();
    std::move(done)();
  });
}

void EnvironmentHandler::HandleSession(const v1::SessionRequest& req, SessionState* state,
                                       v1::SessionResponse* resp) {
  auto resolve = [&](const std::string& id) { return id.empty() ? state->last_episode : id; };
  absl::Status s;
  switch (req.payload_case()) {
    case v1::SessionRequest::kReset:
      s = Reset(req.reset(), resp->mutable_reset(), state->client);
      if (s.ok()) {
        state->last_episode = resp->reset().episode_id();
        state->episodes.insert(state->last_episode);
      }
      break;
    case v1::SessionRequest::kStep: {
      v1::StepRequest step = req.step();
      step.set_episode_id(resolve(step.episode_id()));
      s = Step(step, resp->mutable_step());
      break;
    }
    case v1::SessionRequest::kGetScore: {
      v1::GetScoreRequest g;
      g.set_episode_id(resolve(req.get_score().episode_id()));
      s = GetScore(g, resp->mutable_score());
      break;
    }
    case v1::SessionRequest::kClose: {
      v1::CloseRequest c;
      c.set_episode_id(resolve(req.close().episode_id()));
      s = Close(c);
      if (s.ok()) {
        resp->mutable_close();
        state->episodes.erase(c.episode_id());
        if (state->last_episode == c.episode_id()) state->last_episode.clear();
      }
      break;
    }
    case v1::SessionRequest::kGetSpec:
      *resp->mutable_spec() = spec_;
      break;
    case v1::SessionRequest::PAYLOAD_NOT_SET:
      s = absl::InvalidArgumentError(
          "the SessionRequest is empty: set one of reset, step, get_score, close, get_spec");
      break;
  }
  ToProto(s, resp->mutable_status());
  if (!s.ok()) resp->clear_payload();
}

void EnvironmentHandler::EndSession(SessionState* state) {
  for (const auto& id : state->episodes) store_.Remove(id);
  state->episodes.clear();
  state->last_episode.clear();
}

}  // namespace clinsim::server
