#include "tests/testing/fake_openai_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace clinsim::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

bool ReadMore(int fd, std::string& buf) {
  char chunk[16384];
  while (true) {
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;  // peer closed, or shutdown() by the destructor
  }
}

bool WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string FakeRequest::last_user() const {
  std::string out;
  if (!json.is_object() || !json.contains("messages") || !json["messages"].is_array()) return out;
  for (const auto& m : json["messages"]) {
    if (m.is_object() && m.value("role", "") == "user" && m.contains("content") &&
        m["content"].is_string()) {
      out = m["content"].get<std::string>();
    }
  }
  return out;
}

std::string FakeRequest::system() const {
  if (!json.is_object() || !json.contains("messages") || !json["messages"].is_array()) return "";
  for (const auto& m : json["messages"]) {
    if (m.is_object() && m.value("role", "") == "system" && m.contains("content") &&
        m["content"].is_string()) {
      return m["content"].get<std::string>();
    }
  }
  return "";
}

FakeReply FakeReply::Content(const std::string& content, double delay_s) {
  // Roughly one token per word, so token accounting has something to add up.
  int words = 0;
  bool in_word = false;
  for (char c : content) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  nlohmann::json body = {
      {"id", "chatcmpl-fake"},
      {"object", "chat.completion"},
      {"created", 0},
      {"model", "fake-model"},
      {"choices",
       {{{"index", 0},
         {"message", {{"role", "assistant"}, {"content", content}}},
         {"finish_reason", "stop"}}}},
      {"usage", {{"prompt_tokens", 7}, {"completion_tokens", words}, {"total_tokens", 7 + words}}},
  };
  FakeReply r;
  r.body = body.dump();
  r.delay_s = delay_s;
  return r;
}

FakeReply FakeReply::Status(int status, const std::string& body) {
  FakeReply r;
  r.status = status;
  r.body = body;
  return r;
}

FakeReply FakeReply::Raw(const std::string& body) {
  FakeReply r;
  r.body = body;
  return r;
}

struct FakeOpenAiServer::State {
  Handler handler;
  int listen_fd = -1;
  int port = 0;
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> connections{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};

  std::mutex mu;
  std::condition_variable stop_cv;  // cuts reply delays short at shutdown
  bool stopping = false;            // guarded by mu
  std::set<int> open_fds;           // guarded by mu: closed by their thread, or shut down by us
  std::vector<std::thread> threads; // written by the accept thread only, until it is joined
  std::thread acceptor;

  void Accept() {
    while (true) {
      int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (stopping) return;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        // Out of descriptors or similar: wait for connections to close rather than spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping) {
          close(fd);
          return;
        }
        open_fds.insert(fd);
      }
      connections.fetch_add(1);
      threads.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // One HTTP/1.1 keep-alive connection: requests one after another until the peer closes.
  void Serve(int fd) {
    std::string buf;
    while (ServeOne(fd, buf)) {
    }
    std::lock_guard<std::mutex> lock(mu);
    open_fds.erase(fd);
    close(fd);
  }

  bool ServeOne(int fd, std::string& buf) {
    size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > (1u << 20) || !ReadMore(fd, buf)) return false;
    }
    FakeRequest req;
    size_t line_end = buf.find("\r\n");
    {
      std::string line = buf.substr(0, line_end);
      size_t sp1 = line.find(' ');
      size_t sp2 = line.find(' ', sp1 + 1);
      if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
      req.method = line.substr(0, sp1);
      req.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    }
    size_t pos = line_end + 2;
    while (pos < header_end) {
      size_t end = buf.find("\r\n", pos);
      std::string line = buf.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        req.headers[Lower(Trim(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
      }
      pos = end + 2;
    }
    size_t length = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      length = std::strtoull(it->second.c_str(), nullptr, 10);
    }
    const size_t body_start = header_end + 4;
    if (auto it = req.headers.find("expect");
        it != req.headers.end() && Lower(it->second) == "100-continue" &&
        buf.size() - body_start < length) {
      if (!WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return false;
    }
    while (buf.size() - body_start < length) {
      if (!ReadMore(fd, buf)) return false;
    }
    req.body = buf.substr(body_start, length);
    buf.erase(0, body_start + length);
    req.json = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (req.json.is_discarded()) req.json = nullptr;

    requests.fetch_add(1);
    int now = in_flight.fetch_add(1) + 1;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    FakeReply reply = handler(req);
    if (reply.delay_s > 0) {
      std::unique_lock<std::mutex> lock(mu);
      stop_cv.wait_for(lock, std::chrono::duration<double>(reply.delay_s),
                       [this] { return stopping; });
    }
    // Counted down before the reply is written, so a client that starts its next request the
    // moment it reads this one can never make the count exceed its own concurrency.
    in_flight.fetch_sub(1);
    if (reply.close_without_reply) return false;

    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(reply.body.size()) + "\r\n";
    for (const auto& [name, value] : reply.headers) out += name + ": " + value + "\r\n";
    out += "\r\n";
    out += reply.body;
    if (!WriteAll(fd, out)) return false;
    auto conn = req.headers.find("connection");
    return conn == req.headers.end() || Lower(conn->second) != "close";
  }
};

FakeOpenAiServer::FakeOpenAiServer(Handler handler) : state_(std::make_shared<State>()) {
  state_->handler = std::move(handler);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("FakeOpenAiServer: socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port: tests stay hermetic and parallel-safe
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string err = strerror(errno);
    close(fd);
    throw std::runtime_error("FakeOpenAiServer: cannot listen on 127.0.0.1: " + err);
  }
  state_->listen_fd = fd;
  state_->port = ntohs(addr.sin_port);
  state_->acceptor = std::thread([s = state_.get()] { s->Accept(); });
}

FakeOpenAiServer::~FakeOpenAiServer() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stopping = true;
  }
  s.stop_cv.notify_all();
  shutdown(s.listen_fd, SHUT_RDWR);  // wakes accept() on Linux
  s.acceptor.join();
  close(s.listen_fd);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (int fd : s.open_fds) shutdown(fd, SHUT_RDWR);  // wakes their recv()
  }
  for (std::thread& t : s.threads) t.join();
}

std::string FakeOpenAiServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/v1";
}
int FakeOpenAiServer::port() const { return state_->port; }
int64_t FakeOpenAiServer::requests() const { return state_->requests.load(); }
int64_t FakeOpenAiServer::connections() const { return state_->connections.load(); }
int FakeOpenAiServer::max_in_flight() const { return state_->max_in_flight.load(); }

}  // namespace clinsim::testing
