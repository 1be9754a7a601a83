// Fuzzes the Environment API below gRPC: bytes -> clinsim.v1 request protos -> EnvironmentHandler.
// One handler and world live across inputs, as in a server: episodes reset by one input are
// stepped by later ones (at most kMaxTracked live; the oldest is closed to make room).
//
// Input: records of [op: 1 byte][length: 2 bytes, little-endian][payload: a serialized request].
//   op % 8: 0 Reset, 1 Step, 2 StepBatch, 3 ResetBatch, 4 GetScore, 5 Close, 6 Session, 7 ListCases.
// An episode id of one byte stands for the live episode with that index, a case id of one byte for
// a bundled case, so inputs reach real episodes; other ids go in as they are (garbage).
//
// Invariants checked (abort = finding):
//   - every call returns (no crash, no exception); batches answer one item per request item;
//   - Reset: a fresh id, a presentation, no case id echoed unless the request named the case, and
//     the seed-picked case is the one GetScore later names;
//   - Step: OK only on a live, unended episode; each OK step uses exactly one turn (a failed
//     request changes nothing); before the end no observation names the diagnosis (unless the
//     doctor's own action did: the environment may echo it); a score only with the end;
//   - GetScore: OK exactly when the episode ended; Close: OK exactly for a live episode.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cases/case_library.h"
#include "cases/case_loader.h"
#include "clinsim/v1/environment.pb.h"
#include "common/random.h"
#include "env/server/environment_handler.h"
#include "env/world.h"
#include "google/protobuf/stubs/logging.h"

namespace {

using namespace clinsim;  // NOLINT: a fuzz driver
namespace v1 = ::clinsim::v1;

constexpr size_t kMaxTracked = 16;
constexpr int kMaxRecords = 48;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "request_handler_fuzzer: %s\n", what.c_str());
  std::abort();
}

struct Tracked {
  const cases::Case* c = nullptr;
  std::unique_ptr<cases::SecretMatcher> secrets;
  int turns = 0;
  bool ended = false;
};

struct State {
  std::shared_ptr<const env::World> world;
  std::unique_ptr<server::EnvironmentHandler> handler;
  std::vector<std::string> case_ids;  // sorted, as the handler sorts them
  std::map<std::string, Tracked> live;
  std::deque<std::string> order;  // reset order, for evicting the oldest
};

State& Get() {
  static State* s = [] {
    auto* s = new State;
    // Invalid UTF-8 in a string field is refused by the parser, with a log line per input.
    google::protobuf::SetLogHandler(nullptr);
    auto lib = cases::CaseLibrary::LoadBundled();
    if (!lib.ok()) Fail("the bundled library does not load");
    s->world = env::World::Create(*lib);
    server::HandlerOptions options;
    options.store.max_episodes = 64;
    options.store.idle_ttl = absl::Hours(24 * 365);  // nothing expires during a run
    options.store.shards = 4;
    options.max_batch_items = 16;
    s->handler = std::make_unique<server::EnvironmentHandler>(s->world, options);
    for (const auto& c : s->world->library().cases()) s->case_ids.push_back(c.id);
    std::sort(s->case_ids.begin(), s->case_ids.end());
    return s;
  }();
  return *s;
}

// Test names are echoes of what the doctor ordered and the same for every case (as in the
// conformance test), so they are removed before looking for the answer.
std::string WithoutTestNames(std::string text, const cases::TestCatalog& catalog) {
  for (const auto& t : catalog.tests()) {
    for (size_t p; (p = text.find(t.name)) != std::string::npos;) text.replace(p, t.name.size(), " | ");
  }
  return text;
}

// Everything the doctor wrote in one action, so echoes of it are not counted as leaks.
std::string ActionText(const v1::Action& a) {
  std::string s = absl::StrCat(a.text(), " \n ", a.ask().question(), " \n ", a.examine().system(), " \n ",
                               a.diagnose().diagnosis(), " \n ", a.diagnose().icd10());
  for (const auto& t : a.order().tests()) absl::StrAppend(&s, " \n ", t, " , ", t);
  for (const auto& d : a.diagnose().differential()) absl::StrAppend(&s, " \n ", d);
  // Pieces may be joined in an echo ("unknown tests: a, b").
  absl::StrAppend(&s, " \n ", a.text(), " ", a.ask().question(), " ", a.examine().system(), " ");
  for (const auto& t : a.order().tests()) absl::StrAppend(&s, t, " ");
  return s;
}

void CheckNoLeak(const Tracked& t, const v1::Observation& o, const std::string& doctor_text,
                 const std::string& where) {
  State& st = Get();
  if (t.secrets->Find(doctor_text)) return;
  std::string found;
  for (const auto& m : o.messages()) {
    if (t.secrets->Find(WithoutTestNames(m.content(), st.world->tests()), &found)) {
      Fail(absl::StrCat(where, ": '", found, "' (the answer of ", t.c->id, ") before the end in: ", m.content()));
    }
  }
  for (const auto& f : o.findings()) {
    if (t.secrets->Find(WithoutTestNames(f.result(), st.world->tests()), &found)) {
      Fail(absl::StrCat(where, ": '", found, "' (the answer of ", t.c->id, ") in a finding: ", f.result()));
    }
  }
}

// A one-byte id stands for a live episode.
void ResolveEpisode(std::string* id) {
  State& st = Get();
  if (id->size() != 1 || st.live.empty()) return;
  auto it = st.live.begin();
  std::advance(it, static_cast<uint8_t>((*id)[0]) % st.live.size());
  *id = it->first;
}

void ResolveCase(v1::ResetRequest* req, uint8_t salt) {
  State& st = Get();
  if (req->case_id().size() == 1) req->set_case_id(st.case_ids[static_cast<uint8_t>(req->case_id()[0]) % st.case_ids.size()]);
  if (!req->has_seed()) req->set_seed(salt);  // reproducible: no server-drawn seeds
  // Keep episodes short enough that the turn limit is reached now and then.
  if (req->options().has_max_turns() && req->options().max_turns() > 50) req->mutable_options()->set_max_turns(50);
}

void Forget(const std::string& id) {
  State& st = Get();
  st.live.erase(id);
  for (auto it = st.order.begin(); it != st.order.end(); ++it) {
    if (*it == id) {
      st.order.erase(it);
      break;
    }
  }
}

// Makes room before a reset: closes the oldest tracked episodes.
void MakeRoom(size_t n) {
  State& st = Get();
  while (!st.order.empty() && st.live.size() + n > kMaxTracked) {
    v1::CloseRequest c;
    c.set_episode_id(st.order.front());
    absl::Status s = st.handler->Close(c);
    if (!s.ok()) Fail("closing a live episode failed: " + s.ToString());
    Forget(st.order.front());
  }
}

void AfterReset(const v1::ResetRequest& req, const absl::Status& s, const v1::ResetResponse& resp) {
  State& st = Get();
  if (!s.ok()) return;
  if (resp.episode_id().empty()) Fail("Reset OK without an episode id");
  if (st.live.contains(resp.episode_id())) Fail("Reset returned the id of a live episode");
  if (resp.observation().messages_size() == 0) Fail("Reset OK without a presentation");
  if (req.case_id().empty() && !resp.case_id().empty()) Fail("Reset named the seed-picked case");
  if (resp.seed() != req.seed()) Fail("Reset changed the seed");
  const std::string case_id =
      req.case_id().empty() ? st.case_ids[DeriveSeed(req.seed(), "case") % st.case_ids.size()] : req.case_id();
  Tracked t;
  t.c = st.world->FindCase(case_id);
  if (t.c == nullptr) Fail("Reset OK on an unknown case " + case_id);
  t.secrets = std::make_unique<cases::SecretMatcher>(*t.c);
  CheckNoLeak(t, resp.observation(), "", "Reset");
  st.live.emplace(resp.episode_id(), std::move(t));
  st.order.push_back(resp.episode_id());
  if (st.handler->store().size() > 64) Fail("the store holds more than its cap");
}

void CheckScore(const Tracked& t, const v1::Score& score, const std::string& where) {
  if (score.case_id() != t.c->id) Fail(absl::StrCat(where, ": the score is for ", score.case_id(), ", not ", t.c->id));
  if (score.turns() != t.turns) Fail(absl::StrCat(where, ": the score counts ", score.turns(), " turns, not ", t.turns));
  if (!score.terminated() && !score.truncated()) Fail(where + ": a score of an episode that did not end");
  if (!std::isfinite(score.total_reward())) Fail(where + ": a reward that is not finite");
}

void AfterStep(const v1::StepRequest& req, const absl::Status& s, const v1::StepResponse& resp,
               const std::string& where) {
  State& st = Get();
  auto it = st.live.find(req.episode_id());
  if (it == st.live.end()) {
    if (s.ok()) Fail(where + ": a step on an unknown episode succeeded");
    return;
  }
  Tracked& t = it->second;
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kNotFound) Fail(where + ": a live episode was not found: " + s.ToString());
    if (t.ended && s.code() != absl::StatusCode::kFailedPrecondition &&
        s.code() != absl::StatusCode::kInvalidArgument) {
      Fail(where + ": a step after the end failed with " + s.ToString());
    }
    return;
  }
  if (t.ended) Fail(where + ": a step after the end succeeded");
  if (resp.info().turn() != t.turns + 1) {
    Fail(absl::StrCat(where, ": turn ", resp.info().turn(), " after ", t.turns, " (a failed request changed the episode?)"));
  }
  t.turns = resp.info().turn();
  if (!std::isfinite(resp.reward())) Fail(where + ": a reward that is not finite");
  const bool ended = resp.terminated() || resp.truncated();
  if (!ended) {
    if (resp.has_score()) Fail(where + ": a score before the end");
    CheckNoLeak(t, resp.observation(), ActionText(req.action()), where);
    return;
  }
  t.ended = true;
  if (req.include_score()) {
    if (!resp.has_score()) Fail(where + ": include_score without a score at the end");
    CheckScore(t, resp.score(), where);
  }
  if (req.close_on_end()) {
    Forget(req.episode_id());
    v1::GetScoreRequest g;
    g.set_episode_id(req.episode_id());
    v1::Score score;
    if (st.handler->GetScore(g, &score).code() != absl::StatusCode::kNotFound) Fail(where + ": close_on_end left the episode");
  }
}

void AfterGetScore(const std::string& id, const absl::Status& s, const v1::Score& score, const std::string& where) {
  State& st = Get();
  auto it = st.live.find(id);
  if (it == st.live.end()) {
    if (s.ok()) Fail(where + ": GetScore on an unknown episode succeeded");
    return;
  }
  if (s.ok() != it->second.ended) Fail(where + ": GetScore said " + s.ToString() + " on an episode that " + (it->second.ended ? "ended" : "did not end"));
  if (s.ok()) CheckScore(it->second, score, where);
}

void AfterClose(const std::string& id, const absl::Status& s, const std::string& where) {
  State& st = Get();
  const bool known = st.live.contains(id);
  if (known != s.ok()) Fail(where + ": Close said " + s.ToString() + (known ? " on a live episode" : " on an unknown id"));
  if (known) Forget(id);
}

template <typename M>
bool ParsePayload(const uint8_t* p, size_t n, M* m) {
  return m->ParseFromArray(p, static_cast<int>(n));
}

void HandleSession(const uint8_t* p, size_t n, server::EnvironmentHandler::SessionState* session) {
  State& st = Get();
  v1::SessionRequest req;
  if (!ParsePayload(p, n, &req)) return;
  std::string id;  // the episode the request addresses, after resolution
  switch (req.payload_case()) {
    case v1::SessionRequest::kReset:
      MakeRoom(1);
      ResolveCase(req.mutable_reset(), static_cast<uint8_t>(n));
      break;
    case v1::SessionRequest::kStep:
      ResolveEpisode(req.mutable_step()->mutable_episode_id());
      id = req.step().episode_id().empty() ? session->last_episode : req.step().episode_id();
      break;
    case v1::SessionRequest::kGetScore:
      ResolveEpisode(req.mutable_get_score()->mutable_episode_id());
      id = req.get_score().episode_id().empty() ? session->last_episode : req.get_score().episode_id();
      break;
    case v1::SessionRequest::kClose:
      ResolveEpisode(req.mutable_close()->mutable_episode_id());
      id = req.close().episode_id().empty() ? session->last_episode : req.close().episode_id();
      break;
    default:
      break;
  }
  v1::SessionResponse resp;
  st.handler->HandleSession(req, session, &resp);
  const absl::Status s(static_cast<absl::StatusCode>(resp.status().code()), resp.status().message());
  if (s.ok() == (resp.payload_case() == v1::SessionResponse::PAYLOAD_NOT_SET)) {
    Fail("Session: the payload does not agree with the status " + s.ToString());
  }
  switch (req.payload_case()) {
    case v1::SessionRequest::kReset:
      AfterReset(req.reset(), s, resp.reset());
      break;
    case v1::SessionRequest::kStep: {
      v1::StepRequest step = req.step();
      step.set_episode_id(id);
      AfterStep(step, s, resp.step(), "Session.step");
      break;
    }
    case v1::SessionRequest::kGetScore:
      if (!id.empty()) AfterGetScore(id, s, resp.score(), "Session.get_score");
      break;
    case v1::SessionRequest::kClose:
      if (!id.empty()) AfterClose(id, s, "Session.close");
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  State& st = Get();
  server::EnvironmentHandler::SessionState session;
  session.client = "fuzz";
  int records = 0;
  while (size >= 3 && records++ < kMaxRecords) {
    const uint8_t op = data[0] % 8;
    size_t n = data[1] | (static_cast<size_t>(data[2]) << 8);
    data += 3;
    size -= 3;
    if (n > size) n = size;
    const uint8_t* p = data;
    data += n;
    size -= n;
    switch (op) {
      case 0: {
        v1::ResetRequest req;
        if (!ParsePayload(p, n, &req)) break;
        MakeRoom(1);
        ResolveCase(&req, static_cast<uint8_t>(n));
        v1::ResetResponse resp;
        AfterReset(req, st.handler->Reset(req, &resp), resp);
        break;
      }
      case 1: {
        v1::StepRequest req;
        if (!ParsePayload(p, n, &req)) break;
        ResolveEpisode(req.mutable_episode_id());
        v1::StepResponse resp;
        AfterStep(req, st.handler->Step(req, &resp), resp, "Step");
        break;
      }
      case 2: {
        v1::StepBatchRequest req;
        if (!ParsePayload(p, n, &req)) break;
        for (auto& item : *req.mutable_items()) ResolveEpisode(item.mutable_episode_id());
        v1::StepBatchResponse resp;
        absl::Status s = st.handler->StepBatch(req, &resp);
        if (!s.ok()) {
          if (req.items_size() <= 16) Fail("StepBatch refused a batch within the limit: " + s.ToString());
          break;
        }
        if (resp.items_size() != req.items_size()) Fail("StepBatch answered a different number of items");
        for (int i = 0; i < req.items_size(); ++i) {
          const absl::Status is(static_cast<absl::StatusCode>(resp.items(i).status().code()),
                                resp.items(i).status().message());
          AfterStep(req.items(i), is, resp.items(i).response(), absl::StrCat("StepBatch[", i, "]"));
        }
        break;
      }
      case 3: {
        v1::ResetBatchRequest req;
        if (!ParsePayload(p, n, &req)) break;
        if (req.items_size() > 4) req.mutable_items()->DeleteSubrange(4, req.items_size() - 4);
        MakeRoom(req.items_size());
        for (auto& item : *req.mutable_items()) ResolveCase(&item, static_cast<uint8_t>(n));
        v1::ResetBatchResponse resp;
        absl::Status s = st.handler->ResetBatch(req, &resp, "fuzz");
        if (!s.ok()) Fail("ResetBatch refused a batch within the limit: " + s.ToString());
        if (resp.items_size() != req.items_size()) Fail("ResetBatch answered a different number of items");
        for (int i = 0; i < req.items_size(); ++i) {
          const absl::Status is(static_cast<absl::StatusCode>(resp.items(i).status().code()),
                                resp.items(i).status().message());
          AfterReset(req.items(i), is, resp.items(i).response());
        }
        break;
      }
      case 4: {
        v1::GetScoreRequest req;
        if (!ParsePayload(p, n, &req)) break;
        ResolveEpisode(req.mutable_episode_id());
        v1::Score score;
        AfterGetScore(req.episode_id(), st.handler->GetScore(req, &score), score, "GetScore");
        break;
      }
      case 5: {
        v1::CloseRequest req;
        if (!ParsePayload(p, n, &req)) break;
        ResolveEpisode(req.mutable_episode_id());
        AfterClose(req.episode_id(), st.handler->Close(req), "Close");
        break;
      }
      case 6:
        HandleSession(p, n, &session);
        break;
      case 7: {
        v1::ListCasesRequest req;
        if (!ParsePayload(p, n, &req)) break;
        v1::ListCasesResponse resp;
        if (st.handler->ListCases(req, &resp).ok() && req.specialty().empty() && req.difficulty().empty() &&
            resp.cases_size() != static_cast<int>(st.case_ids.size())) {
          Fail("ListCases without filters does not list every case");
        }
        break;
      }
    }
  }
  // The session's episodes are closed with it.
  std::vector<std::string> ended(session.episodes.begin(), session.episodes.end());
  st.handler->EndSession(&session);
  for (const auto& id : ended) Forget(id);
  return 0;
}
