#include "env/server/environment_service.h"

#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "common/tsan.h"

namespace clinsim::server {
namespace {

// Replies per stream that may wait for the client to read them before the stream stops reading
// new requests (back-pressure for clients that pipeline without reading).
constexpr size_t kMaxQueuedReplies = 64;

template <typename Fn>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Fn&& fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(fn()));
  return reactor;
}

// A stream refused before it starts (e.g. UNAUTHENTICATED).
class RejectedSession final : public grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse> {
 public:
  explicit RejectedSession(const grpc::Status& s) {
    TsanRelease(this);
    Finish(s);
  }
  void OnDone() override {
    TsanAcquire(this);
    delete this;
  }
};

class SessionReactor final : public grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse> {
 public:
  SessionReactor(EnvironmentHandler* handler, std::string client) : handler_(handler) {
    state_.client = std::move(client);
    Read();
  }

  void OnReadDone(bool ok) override {
    TsanAcquire(this);
    if (!ok) {  // the client half-closed, or the call is over
      absl::MutexLock l(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    // Requests are answered in order: the next one is read only after this one's reply is
    // queued (a step with a model role finishes later, on the LLM client's thread).
    auto response = std::make_shared<v1::SessionResponse>();
    {
      absl::MutexLock l(&mu_);
      handling_ = true;
    }
    handler_->HandleSessionAsync(request_, &state_, response.get(), [this, response] {
      std::optional<grpc::Status> finish;
      {
        absl::MutexLock l(&mu_);
        handling_ = false;
        if (finished_) {  // the client went away meanwhile: finish now that nothing refers to us
          std::swap(finish, deferred_finish_);
        } else {
          queue_.push_back(std::move(*response));
          if (!writing_) {
            writing_ = true;
            Write(&queue_.front());
          }
          if (queue_.size() < kMaxQueuedReplies) {
            Read();
          } else {
            read_paused_ = true;
          }
        }
      }
      // Not a gRPC reaction, so OnDone (which deletes this) may run as soon as Finish is called:
      // call it last, outside the lock.
      if (finish) End(*finish);
    });
  }

  void OnWriteDone(bool ok) override {
    TsanAcquire(this);
    absl::MutexLock l(&mu_);
    queue_.pop_front();  // deque: the reply being written stayed at the front until now
    if (!ok) {  // the client went away; nothing more can be written
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    if (!queue_.empty()) {
      Write(&queue_.front());
    } else {
      writing_ = false;
    }
    if (read_paused_ && queue_.size() < kMaxQueuedReplies) {
      read_paused_ = false;
      Read();
    }
    MaybeFinishLocked();
  }

  void OnCancel() override { TsanAcquire(this); }

  void OnDone() override {
    TsanAcquire(this);
    handler_->EndSession(&state_);  // a stream's episodes end with it
    delete this;
  }

 private:
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_ && !writing_) FinishLocked(grpc::Status::OK);
  }
  void FinishLocked(const grpc::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    // A request still being handled (a model step) will call back into this reactor: Finish,
    // and so OnDone and `delete this`, must wait for it.
    if (handling_) {
      deferred_finish_ = s;
      return;
    }
    End(s);
  }
  // gRPC runs the reactions of one stream in order, perhaps on different threads; TSan builds
  // are told so (common/tsan.h).
  void Read() {
    TsanRelease(this);
    StartRead(&request_);
  }
  void Write(const v1::SessionResponse* r) {
    TsanRelease(this);
    StartWrite(r);
  }
  void End(const grpc::Status& s) {
    TsanRelease(this);
    Finish(s);
  }

  EnvironmentHandler* handler_;
  v1::SessionRequest request_;                 // touched only between StartRead and OnReadDone
  EnvironmentHandler::SessionState state_;     // touched only in OnReadDone and OnDone
  absl::Mutex mu_;
  std::deque<v1::SessionResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool handling_ ABSL_GUARDED_BY(mu_) = false;  // a request is being handled (maybe asynchronously)
  std::optional<grpc::Status> deferred_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

grpc::ServerUnaryReactor* EnvironmentService::GetSpec(grpc::CallbackServerContext* ctx,
                                                      const v1::GetSpecRequest*, v1::Spec* resp) {
  return Unary(ctx, [&] {
    if (auto s = Authorize(ctx); !s.ok()) return s;
    *resp = handler_->Spec();
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EnvironmentService::ListCases(grpc::CallbackServerContext* ctx,
                                                        const v1::ListCasesRequest* req,
                                                        v1::ListCasesResponse* resp) {
  return Unary(ctx, [&] {
    if (auto s = Authorize(ctx); !s.ok()) return s;
    return handler_->ListCases(*req, resp);
  });
}

grpc::ServerUnaryReactor* EnvironmentService::Reset(grpc::CallbackServerContext* ctx,
                                                    const v1::ResetRequest* req, v1::ResetResponse* resp) {
  return Unary(ctx, [&] {
    if (auto s = Authorize(ctx); !s.ok()) return s;
    return handler_->Reset(*req, resp, ClientKey(ctx));
  });
}

grpc::ServerUnaryReactor* EnvironmentService::Step(grpc::CallbackServerContext* ctx,
                                                   const v1::StepRequest* req, v1::StepResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (auto s = Authorize(ctx); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  // Finishes on the LLM client's thread when a model plays a role: the reactor never waits.
  handler_->StepAsync(*req, resp, [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  return reactor;
}

grpc::ServerUnaryReactor* EnvironmentService::ResetBatch(grpc::CallbackServerContext* ctx,
                                                         const v1::ResetBatchRequest* req,
                                                         v1::ResetBatchResponse* resp) {
  return Unary(ctx, [&] {
    if (auto s = Authorize(ctx); !s.ok()) return s;
    return handler_->ResetBatch(*req, resp, ClientKey(ctx));
  });
}

grpc::ServerUnaryReactor* EnvironmentService::StepBatch(grpc::CallbackServerContext* ctx,
                                                        const v1::StepBatchRequest* req,
                                                        v1::StepBatchResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (auto s = Authorize(ctx); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  handler_->StepBatchAsync(*req, resp, [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  return reactor;
}

grpc::ServerUnaryReactor* EnvironmentService::GetScore(grpc::CallbackServerContext* ctx,
                                                       const v1::GetScoreRequest* req, v1::Score* resp) {
  return Unary(ctx, [&] {
    if (auto s = Authorize(ctx); !s.ok()) return s;
    return handler_->GetScore(*req, resp);
  });
}

grpc::ServerUnaryReactor* EnvironmentService::Close(grpc::CallbackServerContext* ctx,
                                                    const v1::CloseRequest* req, v1::CloseResponse*) {
  return Unary(ctx, [&] {
    if (auto s = Authorize(ctx); !s.ok()) return s;
    return handler_->Close(*req);
  });
}

grpc::ServerBidiReactor<v1::SessionRequest, v1::SessionResponse>* EnvironmentService::Session(
    grpc::CallbackServerContext* ctx) {
  if (absl::Status s = Authorize(ctx); !s.ok()) return new RejectedSession(ToGrpcStatus(s));
  return new SessionReactor(handler_, ClientKey(ctx));
}

std::string ClientKey(grpc::CallbackServerContext* ctx) {
  // With a token, the token identifies the client (a hash of it: the token itself is not kept);
  // otherwise the peer's address without its port.
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    return absl::StrCat("token:", absl::Hex(StableHash(absl::string_view(it->second.data(), it->second.size()))));
  }
  std::string peer = ctx->peer();  // "ipv4:127.0.0.1:5555", "ipv6:[::1]:5555"
  if (size_t colon = peer.rfind(':'); colon != std::string::npos && colon > 5) peer.resize(colon);
  return peer;
}

absl::Status EnvironmentService::Authorize(grpc::CallbackServerContext* ctx) const {
  if (auth_ == nullptr) return absl::OkStatus();
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  absl::string_view header;
  if (it != md.end()) header = absl::string_view(it->second.data(), it->second.size());
  return auth_->Check(header);
}

}  // namespace clinsim::server
