// The ordered request/reply channel: `co_await peer.call("op", args)`.
//
// One DEALER (Channel, the caller) talks to one ROUTER (Server) over a single
// ZeroMQ stream, so everything a Channel sends arrives in the order it was
// sent, calls and one-way messages alike, and the Server starts their handlers
// in that order. A handler is a plain coroutine that returns a JSON value or
// throws; its result or its error's message goes back to the caller, where an
// error is rethrown as RemoteError.
//
// Wire format (JSON, one frame per batch, documented in docs/protocol.md):
//   caller -> server  [ {"id": 7, "op": "add", "args": {...}},   a call
//                       {"op": "log", "args": {...}},             one-way
//                       {"op": "$ping"} ]                         heartbeat
//   server -> caller  [ {"id": 7, "ok": <value>} | {"id": 7, "error": "text"}
//                       | {"pong": true} ]
// Batching: messages queued during one loop turn leave together, as one frame,
// before the loop next waits. No timer decides when a batch goes.
//
// Dead peers: while calls are pending, the Channel expects to hear from the
// server at least every heartbeat_interval (any reply counts; otherwise it
// sends $ping, which the server answers at once). After heartbeat_timeout of
// silence, or at once when the transport reports the connection dropped
// (tcp://, ipc://), every pending call fails with PeerLost. With no call
// pending there are no heartbeats and no timers: an idle channel costs nothing.
//
// Under the virtual clock, a channel to an ipc:// or tcp:// endpoint holds
// the loop while calls are pending: their replies are real events, and time
// must not jump past them (which would fail them with a false PeerLost).
// A dropped connection still fails them at once; a silent peer there is only
// detected under the real clock.
//
// Strings must be UTF-8; invalid bytes are sent as U+FFFD.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/zsocket.hpp"

namespace tock {

using Json = nlohmann::json;

class RemoteError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class PeerLost : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ChannelOptions {
    Duration heartbeat_interval = std::chrono::seconds(1);
    Duration heartbeat_timeout = std::chrono::seconds(3);
    // CurveZMQ (tcp://): the server's public key and this client's keypair,
    // z85 text (scheduler/curve.hpp). Empty: no encryption.
    std::string curve_server_key{}, curve_public_key{}, curve_secret_key{};
};

class Channel {
  public:
    Channel(Loop& loop, const std::string& endpoint, ChannelOptions opts = {});
    // Pending calls fail with PeerLost ("channel closed").
    ~Channel();
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    // Call `op` on the server; the handler's result, or RemoteError / PeerLost.
    // The request is queued when call() is made, not when the returned Task
    // is first awaited, so calls and sends keep the order in which they were
    // made even when a call is awaited later.
    Task<Json> call(std::string op, Json args = Json::object());
    // One-way message: ordered with calls, no reply.
    void send(std::string op, Json args = Json::object());

    // Calls sent and not yet answered (or failed).
    std::size_t pending() const noexcept { return outstanding_; }
    std::uint64_t batches_sent() const noexcept { return batches_sent_; }
    // Replies that matched no pending call (a second reply to one, or one
    // to a call forgotten): a server that answers exactly once leaves 0.
    std::uint64_t unmatched() const noexcept { return unmatched_; }

  private:
    struct Pending {
        Channel* owner = nullptr;  // null once the channel is gone
        std::uint64_t id = 0;
        Ready ready;
        std::optional<Json> result;
        std::optional<std::string> error;
        bool lost = false;
        bool settled = false;
    };
    // Held by the frame that waits for the reply; forgets the call when that
    // frame goes, whether it ever ran or not.
    struct Ticket {
        std::shared_ptr<Pending> p;
        explicit Ticket(std::shared_ptr<Pending> q) : p(std::move(q)) {}
        Ticket(Ticket&&) noexcept = default;
        Ticket& operator=(Ticket&&) = delete;
        ~Ticket();
    };
    class ReplyAwaiter;
    static Task<Json> wait_reply(Ticket t);
    void enqueue(Json msg);
    void flush() noexcept;
    void settle(Pending& p);
    void forget(Pending& p) noexcept;
    void fail_all(const std::string& why);
    Task<void> read_replies();
    Task<void> watchdog();
    Task<void> watch_connection();

    Loop& loop_;
    ChannelOptions opts_;
    bool external_;  // ipc:// or tcp://: replies are real events, see call()
    ZSocket sock_;
    ZSocket monitor_;
    std::uint64_t next_id_ = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending_;
    std::size_t outstanding_ = 0;
    Json outbox_ = Json::array();
    Ready flush_;
    TimePoint last_heard_{};
    Event busy_;
    std::uint64_t batches_sent_ = 0;
    std::uint64_t unmatched_ = 0;
    Scope scope_;
};

using Handler = std::function<Task<Json>(Json args)>;

class Server {
  public:
    Server(Loop& loop, const std::string& endpoint);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void handle(std::string op, Handler h) { handlers_[std::move(op)] = std::move(h); }
    // Also listen on `endpoint` with CurveZMQ as the server whose secret key
    // is `secret_z85`: a client must know the server's public key, and the
    // context's ZAP handler (scheduler/curve.hpp) decides which client keys
    // it takes. The endpoints bound before are unaffected.
    void bind_curve(const std::string& endpoint, const std::string& secret_z85);
    // Put, in each request's args under `key`, who sent it: the User-Id the
    // ZAP handler gave its connection ("local" for none).
    void tag_peers(std::string key) { peer_tag_ = std::move(key); }
    // Every message must be a call (with an id): one-way messages are
    // dropped and counted as malformed, so that nothing acts unanswered.
    void require_ids() { require_ids_ = true; }
    std::string endpoint() const;
    zmq::socket_t& raw() noexcept { return sock_.raw(); }  // options, before it is used
    // Frames that were not a JSON array of messages; dropped.
    std::uint64_t malformed() const noexcept { return malformed_; }

  private:
    Task<void> serve();
    Task<void> run(std::string peer, std::optional<std::uint64_t> id, std::string op, Json args);
    void reply(const std::string& peer, Json msg);
    void flush() noexcept;

    Loop& loop_;
    ZSocket sock_;
    std::unordered_map<std::string, Handler> handlers_;
    std::unordered_map<std::string, Json> outboxes_;
    Ready flush_;
    std::uint64_t malformed_ = 0;
    std::string peer_tag_;
    bool require_ids_ = false;
    Scope handlers_scope_;
    Scope scope_;
};

}  // namespace tock
