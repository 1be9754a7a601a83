#include "runs/run_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace clinsim::runs {
namespace {

constexpr int kApplicationId = 0x636c6e73;  // "clns"

absl::Status SqlError(sqlite3* db, const std::string& path, const char* what) {
  int code = sqlite3_errcode(db);
  std::string msg = absl::StrCat(path, ": ", what, ": ", sqlite3_errmsg(db));
  if (code == SQLITE_FULL) {
    return absl::ResourceExhaustedError(absl::StrCat(msg, " (the disk is full; episodes recorded so far are kept)"));
  }
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
    return absl::DataLossError(absl::StrCat(msg, " (the run store is damaged or not a database; "
                                                 "move it away and start a new --run-dir)"));
  }
  return absl::InternalError(msg);
}

absl::Status Exec(sqlite3* db, const std::string& path, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    absl::Status s = SqlError(db, path, sql);
    return absl::Status(s.code(), absl::StrCat(s.message(), " [", m, "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PragmaInt(sqlite3* db, const std::string& path, const char* pragma) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, pragma, -1, &st, nullptr) != SQLITE_OK) return SqlError(db, path, pragma);
  int v = 0;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

// Opens and checks an existing or new store; returns the config stored in it (null if new).
absl::StatusOr<nlohmann::json> OpenDb(const std::string& path, bool create, sqlite3** db) {
  int flags = create ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), db, flags, nullptr) != SQLITE_OK) {
    return SqlError(*db, path, "cannot open");
  }
  sqlite3_busy_timeout(*db, 5000);
  auto app = PragmaInt(*db, path, "PRAGMA application_id");
  if (!app.ok()) return app.status();
  auto version = PragmaInt(*db, path, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto tables = PragmaInt(*db, path, "SELECT count(*) FROM sqlite_master");
  if (!tables.ok()) return tables.status();
  if (*tables == 0 && *app == 0) {
    if (!create) return absl::NotFoundError(absl::StrCat(path, ": empty run store"));
    // WAL with synchronous=NORMAL: a committed episode survives the process being killed (kill -9,
    // a crash); only a power loss can lose the last few. FULL would fsync every episode.
    const std::string app_id = absl::StrCat("PRAGMA application_id=", kApplicationId);
    const std::string user_version = absl::StrCat("PRAGMA user_version=", kSchemaVersion);
    for (const char* sql :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", app_id.c_str(), user_version.c_str(),
          "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
          "CREATE TABLE episodes (case_id TEXT NOT NULL, seed INTEGER NOT NULL, score TEXT NOT NULL, "
          "trajectory TEXT NOT NULL, recorded_at TEXT NOT NULL DEFAULT (datetime('now')), "
          "PRIMARY KEY (case_id, seed))"}) {
      if (auto s = Exec(*db, path, sql); !s.ok()) return s;
    }
    return nlohmann::json();
  }
  if (*app != kApplicationId) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a clinsim run store (a different SQLite database); use another --run-dir"));
  }
  if (*version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " was written by a newer clinsim (run store schema ", *version, ", this one reads ",
        kSchemaVersion, "); use a matching clinsim or a new --run-dir"));
  }
  if (create) {
    if (auto s = Exec(*db, path, "PRAGMA synchronous=NORMAL"); !s.ok()) return s;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(*db, "SELECT value FROM meta WHERE key='config'", -1, &st, nullptr) != SQLITE_OK) {
    return SqlError(*db, path, "reading the run config");
  }
  nlohmann::json config;
  if (sqlite3_step(st) == SQLITE_ROW) {
    config = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), nullptr, false);
  }
  sqlite3_finalize(st);
  if (config.is_discarded()) return absl::DataLossError(absl::StrCat(path, ": the stored run config is damaged"));
  return config;
}

std::string DescribeDifference(const nlohmann::json& a, const nlohmann::json& b) {
  nlohmann::json patch = nlohmann::json::diff(a, b);
  std::string out;
  for (const auto& op : patch) {
    if (!out.empty()) out += "; ";
    out += absl::StrCat(op.value("path", std::string("?")), ": was ",
                        a.contains(nlohmann::json::json_pointer(op.value("path", std::string("/"))))
                            ? a[nlohmann::json::json_pointer(op.value("path", std::string("/")))].dump()
                            : "absent",
                        ", now ", op.contains("value") ? op["value"].dump() : "absent");
  }
  return out;
}

absl::StatusOr<std::vector<StoredEpisode>> ReadEpisodes(sqlite3* db, const std::string& path,
                                                         bool with_trajectories = true) {
  std::vector<StoredEpisode> out;
  sqlite3_stmt* st = nullptr;
  const char* sql = with_trajectories
                        ? "SELECT case_id, seed, score, trajectory FROM episodes ORDER BY case_id, seed"
                        : "SELECT case_id, seed, score, '{}' FROM episodes ORDER BY case_id, seed";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    return SqlError(db, path, "reading episodes");
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    StoredEpisode e;
    e.case_id = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    e.seed = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
    e.score = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)), nullptr, false);
    e.trajectory = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)), nullptr, false);
    if (e.score.is_discarded() || e.trajectory.is_discarded()) {
      sqlite3_finalize(st);
      return absl::DataLossError(absl::StrCat(path, ": episode ", e.case_id, " seed ", e.seed, " is damaged"));
    }
    out.push_back(std::move(e));
  }
  sqlite3_finalize(st);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<StoredEpisode>> RunStore::All(bool with_trajectories) {
  absl::MutexLock l(&mu_);
  return ReadEpisodes(db_, path_, with_trajectories);
}

absl::StatusOr<std::unique_ptr<RunStore>> RunStore::Open(const std::string& dir,
                                                         const nlohmann::json& config) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create run directory ", dir, ": ", ec.message()));
  std::unique_ptr<RunStore> store(new RunStore());
  std::string lock_path = (std::filesystem::path(dir) / "run.lock").string();
  store->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
  if (store->lock_fd_ < 0 || ::flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "another clinsim is writing to ", dir, " (", lock_path, " is locked); wait for it or use another --run-dir"));
  }
  store->path_ = (std::filesystem::path(dir) / kStoreFile).string();
  absl::MutexLock l(&store->mu_);
  auto stored = OpenDb(store->path_, /*create=*/true, &store->db_);
  if (!stored.ok()) return stored.status();
  if (stored->is_null()) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(store->db_, "INSERT INTO meta (key, value) VALUES ('config', ?)", -1, &st, nullptr);
    std::string c = config.dump();
    sqlite3_bind_text(st, 1, c.c_str(), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return SqlError(store->db_, store->path_, "writing the run config");
  } else if (*stored != config) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " holds a run made with different settings (", DescribeDifference(*stored, config),
        "); rerun with the same flags to resume, or use a new --run-dir"));
  }
  return store;
}

RunStore::~RunStore() {
  absl::MutexLock l(&mu_);
  if (db_ != nullptr) sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

absl::StatusOr<std::set<std::pair<std::string, uint64_t>>> RunStore::Done() {
  absl::MutexLock l(&mu_);
  std::set<std::pair<std::string, uint64_t>> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT case_id, seed FROM episodes", -1, &st, nullptr) != SQLITE_OK) {
    return SqlError(db_, path_, "listing recorded episodes");
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    out.emplace(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                static_cast<uint64_t>(sqlite3_column_int64(st, 1)));
  }
  sqlite3_finalize(st);
  return out;
}

absl::Status RunStore::Add(const StoredEpisode& e) {
  // Serialise outside the lock: bench workers only queue on the insert itself.
  std::string score = e.score.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string traj = e.trajectory.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::MutexLock l(&mu_);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "INSERT OR IGNORE INTO episodes (case_id, seed, score, trajectory) VALUES (?, ?, ?, ?)",
                         -1, &st, nullptr) != SQLITE_OK) {
    return SqlError(db_, path_, "preparing an insert");
  }
  sqlite3_bind_text(st, 1, e.case_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(e.seed));
  sqlite3_bind_text(st, 3, score.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, traj.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "recording an episode");
  return absl::OkStatus();
}

absl::StatusOr<RunData> RunStore::Load(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / kStoreFile).string();
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(dir, " is not a run directory (no ", kStoreFile, ")"));
  }
  sqlite3* db = nullptr;
  auto config = OpenDb(path, /*create=*/false, &db);
  if (!config.ok()) {
    sqlite3_close(db);
    return config.status();
  }
  RunData out;
  out.dir = dir;
  out.config = *config;
  auto episodes = ReadEpisodes(db, path);
  sqlite3_close(db);
  if (!episodes.ok()) return episodes.status();
  out.episodes = *std::move(episodes);
  return out;
}

}  // namespace clinsim::runs
